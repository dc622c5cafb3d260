import { describe, expect, it } from 'vitest';
import { DependencyError, explainDatabaseError, isTransientError, RedeemctlError, UsageError } from '../../src/shared/errors.js';

// src/shared/errors.ts: which failures are worth another try, and what a user is shown.

function withCode(code: string, message = `failed with ${code}`): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('the error classes', () => {
  it('carry the exit codes of docs/product.md and their own names', () => {
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
  ])('%s (%s) is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
    ['42883', 'undefined function'],
    ['RD001', 'bad argument'],
    ['RD002', 'actor or reason missing'],
  ])('%s (%s) is not', (code) => {
    expect(isTransientError(withCode(code))).toBe(false);
  });

  it('a bare Error without a code (node-postgres losing its connection) is transient', () => {
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
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
