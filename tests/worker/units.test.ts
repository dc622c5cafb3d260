// The worker's pure pieces, without a broker or a database: the retry loop, what an unreadable
// message still tells, the consumer lag gauge, log redaction, and the command's flag checks.
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { ConsumerLag } from '../../src/worker/consumerLag.js';
import { invalidEventArgs } from '../../src/worker/invalidEvent.js';
import { keepTrying, type KeepTryingOptions } from '../../src/worker/keepTrying.js';
import { errorText, redactSecrets } from '../../src/worker/workerLog.js';
import { runInProcess } from '../support/cliHarness.js';
import { metricValue } from '../support/workerHarness.js';

const FAST = { attempts: Infinity, baseDelayMs: 1, maxDelayMs: 2 };

function options(extra: Partial<KeepTryingOptions> = {}): KeepTryingOptions & { beats: number; retries: boolean[] } {
  const state = { beats: 0, retries: [] as boolean[] };
  return Object.assign(state, {
    active: () => true,
    heartbeat: async () => void state.beats++,
    signal: new AbortController().signal,
    maxFailures: 5,
    policy: FAST,
    onRetry: (info: { transient: boolean }) => void state.retries.push(info.transient),
    ...extra,
  });
}

function failing(errors: unknown[]) {
  let calls = 0;
  return {
    op: async () => {
      calls++;
      if (calls <= errors.length) throw errors[calls - 1];
      return 'done';
    },
    calls: () => calls,
  };
}

const connectionLost = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('keepTrying', () => {
  it('retries transient errors past any fixed count, heartbeating between tries', async () => {
    const o = options();
    const f = failing(Array.from({ length: 12 }, connectionLost));
    expect(await keepTrying(f.op, o)).toEqual({ status: 'done', value: 'done' });
    expect(f.calls()).toBe(13);
    expect(o.retries).toEqual(Array(12).fill(true));
    expect(o.beats).toBeGreaterThanOrEqual(12);
  });

  it('gives up on a non-transient error after maxFailures tries in all', async () => {
    const error = Object.assign(new Error('value "3000000000" is out of range for type integer'), { code: '22003' });
    const o = options();
    const f = failing(Array(10).fill(error));
    expect(await keepTrying(f.op, o)).toEqual({ status: 'failed', error, attempts: 5 });
    expect(f.calls()).toBe(5);
    expect(o.retries).toEqual([false, false, false, false]);
  });

  it('never counts programming errors as transient (a TypeError is dead-lettered, not retried forever)', async () => {
    const f = failing(Array(10).fill(new TypeError('x is undefined')));
    expect((await keepTrying(f.op, options({ maxFailures: 2 }))).status).toBe('failed');
    expect(f.calls()).toBe(2);
  });

  it('stops without a result once the worker is no longer active', async () => {
    let active = true;
    const f = failing(Array(100).fill(connectionLost()));
    const o = options({ active: () => active, onRetry: ({ attempt }) => void (attempt === 3 && (active = false)) });
    expect(await keepTrying(f.op, o)).toEqual({ status: 'stopped' });
    expect(f.calls()).toBe(3);
  });

  it('ends a long back-off at once when the worker stops', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const o = options({
      signal: abort.signal,
      active: () => !abort.signal.aborted,
      policy: { attempts: Infinity, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      onRetry: () => setTimeout(() => abort.abort(), 20),
    });
    expect(await keepTrying(failing([connectionLost()]).op, o)).toEqual({ status: 'stopped' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('invalidEventArgs', () => {
  const merchant = '6f1c1f0e-8d4a-4c1e-9a39-0c5e2f6b7a10';
  const user = '0b8f3f7e-1c2d-4e5f-8a9b-1c2d3e4f5a6b';
  const args = (value: unknown) => invalidEventArgs(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

  it('keeps only fields of the right type', () => {
    expect(args({ event_id: 'e1', merchant_id: merchant, user_id: user, reward_id: 'COFFEE', quantity: '5' })).toEqual({
      eventId: 'e1',
      merchantId: merchant,
      userId: user,
      rewardId: null,
      quantity: null,
    });
    expect(args({ event_id: 'e1', merchant_id: merchant, quantity: 2 })?.quantity).toBe(2);
    expect(args({ event_id: 'e1', merchant_id: merchant, quantity: 3_000_000_000 })?.quantity).toBeNull();
    expect(args({ event_id: 'e1', merchant_id: merchant, quantity: 1.5 })?.quantity).toBeNull();
  });

  it('is null without an event id of 1..200 characters and a uuid merchant', () => {
    expect(args({ event_id: 'e1', merchant_id: 'acme' })).toBeNull();
    expect(args({ merchant_id: merchant })).toBeNull();
    expect(args({ event_id: '', merchant_id: merchant })).toBeNull();
    expect(args({ event_id: 'x'.repeat(201), merchant_id: merchant })).toBeNull();
    expect(args({ event_id: 7, merchant_id: merchant })).toBeNull();
    expect(args('not json')).toBeNull();
    expect(args('[1,2]')).toBeNull();
    expect(invalidEventArgs(Buffer.alloc(0))).toBeNull();
    expect(invalidEventArgs(null)).toBeNull();
  });
});

describe('ConsumerLag', () => {
  it('reports high watermark minus the next offset, and forgets partitions no longer assigned', async () => {
    const registry = new Registry();
    const lag = new ConsumerLag(new Gauge({ name: 'lag', help: 'lag', labelNames: ['topic', 'partition'], registers: [registry] }));
    lag.record('t', 0, '100', '9');
    lag.record('t', 1, '5', '4');
    lag.record('u', 2, '7', '-1');
    expect(await metricValue(registry, 'lag', { topic: 't', partition: '0' })).toBe(90);
    expect(await metricValue(registry, 'lag', { topic: 't', partition: '1' })).toBe(0);
    expect(await metricValue(registry, 'lag', { topic: 'u' })).toBe(7);
    lag.retain({ t: [1] });
    expect((await registry.getSingleMetric('lag')!.get()).values.map((v) => v.labels)).toEqual([{ topic: 't', partition: '1' }]);
  });
});

describe('log redaction', () => {
  it('masks passwords in connection strings and key=value pairs', () => {
    expect(redactSecrets('cannot reach postgres://app:s3cret@db:5432/x')).toBe('cannot reach postgres://app:***@db:5432/x');
    expect(redactSecrets('host=db password=s3cret user=app')).toBe('host=db password=*** user=app');
    expect(errorText(Object.assign(new Error('boom'), { code: '08006' }))).toBe('boom (08006)');
    expect(errorText(new UsageError('bad'))).toBe('bad');
  });
});

describe('redeemctl worker flags', () => {
  it('exits 3 naming the setting when no broker is configured', async () => {
    const r = await runInProcess(['worker'], { env: {} });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/KAFKA_BROKERS.*--brokers/);
  });

  it('exits 2 on a bad flag value', async () => {
    for (const argv of [['worker', '--concurrency', '0'], ['worker', '--log-format', 'xml'], ['worker', '--metrics-port', 'http']]) {
      const r = await runInProcess(argv, { env: { KAFKA_BROKERS: '127.0.0.1:1' } });
      expect(r.code, argv.join(' ')).toBe(2);
    }
  });

  it('documents its flags, their environment variables and defaults', async () => {
    const r = await runInProcess(['worker', '--help'], { env: {} });
    expect(r.code).toBe(0);
    for (const text of ['--group', 'crm-reward-consumer', '--concurrency', '--metrics-port', '--log-format', 'KAFKA_BROKERS', 'KAFKA_TOPIC']) {
      expect(r.stdout).toContain(text);
    }
  });
});
