import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/api/auth.js';
import { HttpError } from '../../src/api/http.js';
import { NotQueuedError, PublishTimeoutError } from '../../src/api/publish.js';
import {
  DependencyError,
  explainDatabaseError,
  explainKafkaError,
  isTransientError,
  KafkaUnreachableError,
  RedeemctlError,
  UsageError,
} from '../../src/shared/errors.js';
import { RefreshError } from '../../src/tui/data/refreshError.js';

// src/shared/errors.ts: which failures are worth another try, and what a user is shown.

function withCode(code: string, message = `failed with ${code}`): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('the error classes', () => {
  it('carry the exit codes of docs/conventions.md and their own names', () => {
    const usage = new UsageError('bad flag');
    const dependency = new DependencyError('no database');
    expect([new RedeemctlError('x').exitCode, usage.exitCode, dependency.exitCode]).toEqual([1, 2, 3]);
    expect([usage.name, dependency.name]).toEqual(['UsageError', 'DependencyError']);
    expect([usage.retriable, dependency.retriable]).toEqual([false, true]);
    expect(usage).toBeInstanceOf(RedeemctlError);
    const cause = new Error('root');
    expect(new DependencyError('wrapped', { cause }).cause).toBe(cause);
  });
});

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

type ErrorClass = new (...args: any[]) => Error;

/** Every exported class of src/ that is an Error, by name (loaded from the files that export a class). */
async function exportedErrorClasses(): Promise<Map<string, ErrorClass>> {
  const found = new Map<string, ErrorClass>();
  for (const file of sourceFiles(SRC)) {
    const names = [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends /gm)].map((m) => m[1]!);
    if (names.length === 0) continue;
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const name of names) {
      const value = module[name] as ErrorClass;
      if (value.prototype instanceof Error) found.set(`${name} (${relative(SRC, file)})`, value);
    }
  }
  return found;
}

/**
 * The exit code each error class of src/ carries (docs/conventions.md, "Exit codes"), with how to
 * make one where the constructor wants more than a message. A new error class is added here on
 * purpose: its exit code is a decision.
 */
const EXIT_CODES: Record<string, { exitCode: number; make?: (errorClass: ErrorClass) => Error }> = {
  RedeemctlError: { exitCode: 1 },
  UsageError: { exitCode: 2 },
  DependencyError: { exitCode: 3 },
  OperatorAbortError: { exitCode: 130 },
  NotConfirmedError: { exitCode: 1 },
  RedriveBusyError: { exitCode: 1 },
  KafkaUnreachableError: { exitCode: 3, make: (c) => new c(['k:9092'], 'connection refused') },
  KafkaNotConfiguredError: { exitCode: 3, make: (c) => new (c as unknown as new () => Error)() },
  DataDirBusyError: { exitCode: 3, make: (c) => new c('.redeemctl', undefined) },
  NoEmbeddedDatabaseError: { exitCode: 3 },
  ImportInterruptedError: { exitCode: 130, make: (c) => new c('SIGINT', 'reading the file', 0, 'codes.csv') },
  ExportInterruptedError: { exitCode: 130, make: (c) => new c('SIGINT', 5000) },
  SendsInterruptedError: { exitCode: 130, make: (c) => new c('SIGINT', 500, 2000) },
  AuthError: { exitCode: 2 },
  HttpError: { exitCode: 2, make: (c) => new c(400, 'reward_id is required') },
  PublishTimeoutError: { exitCode: 3 },
  NotQueuedError: { exitCode: 3 },
  RefreshError: { exitCode: 1, make: (c) => new c('refresh failed: syntax error', false) },
  KafkaAuthenticationError: { exitCode: 3, make: (c) => new c(['k:9093'], undefined) },
  KafkaTlsError: { exitCode: 3, make: (c) => new c(['k:9093'], 'unable to verify the first certificate') },
};

describe('one hierarchy: every error class of src/ is a RedeemctlError', () => {
  it('no class in src/ extends Error directly but RedeemctlError itself', () => {
    const direct = sourceFiles(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bclass (\w+) extends Error\b/g)].map((m) => `${m[1]} (${relative(SRC, file)})`),
    );
    expect(direct).toEqual(['RedeemctlError (shared/errors.ts)']);
  });

  it('every exported error class is a RedeemctlError, with its own name and the exit code it stands for', async () => {
    const classes = await exportedErrorClasses();
    expect(classes.size).toBeGreaterThanOrEqual(10);
    for (const [where, errorClass] of classes) {
      const expected = EXIT_CODES[errorClass.name];
      expect(expected, `${where}: add it to EXIT_CODES with the exit code it stands for`).toBeDefined();
      const error = expected!.make ? expected!.make(errorClass) : new errorClass('message');
      expect(error, where).toBeInstanceOf(RedeemctlError);
      expect(error.name, where).toBe(errorClass.name);
      expect((error as RedeemctlError).exitCode, where).toBe(expected!.exitCode);
    }
  });

  it("the API's and the console's errors keep their fields, and are retried exactly when a dependency is down", () => {
    const tooLarge = new HttpError(413, 'body is larger than 16384 bytes', { close: true });
    expect([tooLarge.status, tooLarge.message, tooLarge.options]).toEqual([413, 'body is larger than 16384 bytes', { close: true }]);
    expect(new HttpError(400, 'bad').options).toEqual({});
    expect(new AuthError('token expired')).toBeInstanceOf(UsageError);
    expect(new PublishTimeoutError('Kafka did not acknowledge within 5000 ms')).toBeInstanceOf(DependencyError);
    const cause = new Error('broker gone');
    expect(new NotQueuedError('event e-1 was not acknowledged by Kafka', { cause }).cause).toBe(cause);
    const away = new RefreshError('database unreachable: connect ECONNREFUSED', true);
    const failed = new RefreshError('refresh failed: syntax error', false);
    expect([away.unreachable, away.exitCode, failed.unreachable, failed.exitCode]).toEqual([true, 3, false, 1]);

    const retried = [new PublishTimeoutError('x'), new NotQueuedError('x'), away].map(isTransientError);
    const notRetried = [new AuthError('x'), new HttpError(400, 'x'), new HttpError(413, 'x'), failed].map(isTransientError);
    expect([retried, notRetried]).toEqual([
      [true, true, true],
      [false, false, false, false],
    ]);
  });
});

describe('isTransientError', () => {
  it.each([
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'admin shutdown'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now'],
    ['53300', 'too many connections'],
    ['08006', 'connection failure'],
    ['08001', 'unable to connect'],
    ['ECONNREFUSED', 'connect refused'],
    ['ECONNRESET', 'connection reset'],
    ['RD409', 'lost the race for a shared counter'],
    // a failover or an overloaded server (issue 10, point 3): the worker pauses and retries
    ['25006', 'read-only transaction (a demoted primary, a standby)'],
    ['53000', 'insufficient resources'],
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['57014', 'statement timeout (query canceled)'],
    ['55P03', 'lock timeout'],
    ['58030', 'I/O error'],
  ])('%s (%s) is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
    ['42883', 'undefined function'],
    ['RD001', 'bad argument'],
    ['RD002', 'actor or reason missing'],
    ['22P02', 'invalid text representation'],
    ['25P02', 'in failed transaction'],
  ])('%s (%s) is not', (code) => {
    expect(isTransientError(withCode(code))).toBe(false);
  });

  it('a bare Error without a code (node-postgres losing its connection) is transient', () => {
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('a query that timed out on the client (node-postgres query_timeout) is transient', () => {
    expect(isTransientError(new Error('Query read timeout'))).toBe(true);
  });

  it('programming errors, our own non-retriable errors and non-errors are not', () => {
    expect(isTransientError(new TypeError('x is not a function'))).toBe(false);
    expect(isTransientError(new RangeError('out of range'))).toBe(false);
    expect(isTransientError(new SyntaxError('bad JSON'))).toBe(false);
    expect(isTransientError(new UsageError('bad flag'))).toBe(false);
    expect(isTransientError(new RedeemctlError('refused'))).toBe(false);
    for (const value of [undefined, null, 'boom', 42, { message: 'plain object' }]) expect(isTransientError(value)).toBe(false);
  });

  it('our DependencyError is transient, whatever its message', () => {
    expect(isTransientError(new DependencyError('Kafka is away'))).toBe(true);
  });
});

describe('explainDatabaseError', () => {
  it('maps RD001 and RD002 (misuse raised by sql/) to a UsageError, exit 2, message and cause kept', () => {
    for (const code of ['RD001', 'RD002']) {
      const raw = withCode(code, 'mode direct needs an actor and a reason');
      const explained = explainDatabaseError(raw);
      expect(explained).toBeInstanceOf(UsageError);
      expect((explained as UsageError).exitCode).toBe(2);
      expect((explained as Error).message).toBe('mode direct needs an actor and a reason');
      expect((explained as Error).cause).toBe(raw);
    }
  });

  it('maps ECONNREFUSED to a DependencyError, exit 3, naming where and what to check', () => {
    const raw = withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1');
    const explained = explainDatabaseError(raw, 'postgres://postgres@127.0.0.1:1/nowhere');
    expect(explained).toBeInstanceOf(DependencyError);
    expect((explained as DependencyError).exitCode).toBe(3);
    expect((explained as Error).message).toBe(
      'Cannot reach the database at postgres://postgres@127.0.0.1:1/nowhere: connect ECONNREFUSED 127.0.0.1:1. Check DATABASE_URL (or --database-url) and that PostgreSQL is running.',
    );
    expect((explained as Error).cause).toBe(raw);
  });

  it.each([
    ['3D000', 'database "nowhere" does not exist'],
    ['28P01', 'password authentication failed'],
    ['28000', 'no pg_hba.conf entry'],
    ['57P03', 'the database system is starting up'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND db.invalid'],
  ])('maps %s to a DependencyError', (code, message) => {
    const explained = explainDatabaseError(withCode(code, message));
    expect(explained).toBeInstanceOf(DependencyError);
    expect((explained as Error).message).toBe(`Cannot reach the database: ${message}. Check DATABASE_URL (or --database-url) and that PostgreSQL is running.`);
  });

  it('returns anything else unchanged, the same object', () => {
    for (const error of [withCode('23505'), withCode('40001'), new TypeError('bug'), new UsageError('already ours'), new DependencyError('ours too')]) {
      expect(explainDatabaseError(error)).toBe(error);
    }
  });
});

describe('explainKafkaError while connecting', () => {
  const brokers = ['127.0.0.1:9', 'b:9092'];
  const refused = () => Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' });

  it('a connection failure reads as without `connecting`: the one line with its reason', () => {
    const explained = explainKafkaError(refused(), brokers, { connecting: true });
    expect(explained).toBeInstanceOf(KafkaUnreachableError);
    expect(explained.message).toBe(
      'Cannot reach Kafka at 127.0.0.1:9,b:9092 (connection refused). Check KAFKA_BROKERS (or --brokers) and that the broker is running.',
    );
  });

  it('anything else thrown while connecting is the same line, its message (on one line) as the reason, the error as the cause', () => {
    const odd = Object.assign(new Error('Broker does not\n  support SASL'), { name: 'KafkaJSProtocolError' });
    const explained = explainKafkaError(odd, brokers, { connecting: true });
    expect(explained).toBeInstanceOf(KafkaUnreachableError);
    expect(explained.exitCode).toBe(3);
    expect(explained.message).toBe(
      'Cannot reach Kafka at 127.0.0.1:9,b:9092 (Broker does not support SASL). Check KAFKA_BROKERS (or --brokers) and that the broker is running.',
    );
    expect(explained.cause).toBe(odd);
    expect(explainKafkaError(odd, brokers)).toBe(odd);
  });

  it('keeps a DependencyError, and an explained error found inside a wrapper, as they are', () => {
    const notConfigured = new DependencyError('Kafka is not configured: set KAFKA_BROKERS or pass --brokers');
    expect(explainKafkaError(notConfigured, brokers, { connecting: true })).toBe(notConfigured);
    const inner = new KafkaUnreachableError(['k:9092'], 'host not found');
    expect(explainKafkaError(new Error('wrapped', { cause: inner }), brokers, { connecting: true })).toBe(inner);
  });
});
