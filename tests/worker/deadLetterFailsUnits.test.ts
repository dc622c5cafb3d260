// Without a broker: which dead-letter send failures can never succeed (kafkajs's errors as
// producer.send throws them), and the bound on the others, with the fallback's log line and metric.
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { classifySendFailure } from '../../src/kafka/deadLetter.js';
import { createLogger } from '../../src/shared/logger.js';
import type { DeadLetterPublisher } from '../../src/worker/deadLetterPublisher.js';
import { deadLetter } from '../../src/worker/deadLetterMessage.js';
import type { HandlerDeps, MessageScope } from '../../src/worker/messageScope.js';
import { WorkerLog } from '../../src/worker/workerLog.js';
import { createWorkerMetrics } from '../../src/worker/workerMetrics.js';
import { captureLog, metricValue } from '../support/workerHarness.js';

const { KafkaJSProtocolError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSRequestTimeoutError } = kafkajs;

// The entries of kafkajs's protocol error table (src/protocol/error.js), as its decoders throw them.
const protocol = (type: string, code: number, retriable: boolean, message = `broker says ${type}`) =>
  new KafkaJSProtocolError({ type, code, retriable, message } as unknown as Error);
// As kafkajs's retrier wraps an error it will not retry (src/retry/index.js).
const nonRetriable = (error: Error) => Object.assign(new KafkaJSNonRetriableError(error), { cause: error });
const tooLarge = () =>
  protocol('MESSAGE_TOO_LARGE', 10, false, 'The request included a message larger than the max message size the server will accept');

describe('classifySendFailure', () => {
  it('calls the broker refusing the message or the client permanent, however kafkajs wraps it', () => {
    for (const error of [
      tooLarge(),
      protocol('RECORD_LIST_TOO_LARGE', 18, false),
      protocol('INVALID_RECORD', 87, false),
      protocol('TOPIC_AUTHORIZATION_FAILED', 29, false),
      nonRetriable(tooLarge()),
      new (kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL PLAIN authentication failed'),
      new RangeError('The value of "offset" is out of range'),
    ]) {
      expect(classifySendFailure(error).permanent, String(error)).toBe(true);
    }
    expect(classifySendFailure(nonRetriable(tooLarge()))).toEqual({
      permanent: true,
      kind: 'MESSAGE_TOO_LARGE',
      text: 'The request included a message larger than the max message size the server will accept (MESSAGE_TOO_LARGE)',
    });
  });

  it('calls the broker away, a leader election and retries exhausted on those transient', () => {
    const notLeader = protocol('NOT_LEADER_FOR_PARTITION', 6, true);
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' } as never);
    for (const error of [
      notLeader,
      protocol('NOT_ENOUGH_REPLICAS', 19, true),
      refused,
      new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'),
      new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 8, retryTime: 5000 } as never),
      new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 8, retryTime: 5000 } as never),
      new Error('something else'),
      'a string',
    ]) {
      expect(classifySendFailure(error).permanent, String(error)).toBe(false);
    }
    expect(classifySendFailure(new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 8, retryTime: 5000 } as never)).kind).toBe(
      'NOT_LEADER_FOR_PARTITION',
    );
  });
});

function harness(errors: () => unknown) {
  const log = captureLog();
  const registry = new Registry();
  let sends = 0;
  const dlq = {
    dlqTopic: 'orders.dlq',
    publish: async () => {
      sends++;
      throw errors();
    },
  } as unknown as DeadLetterPublisher;
  const deps: HandlerDeps = {
    db: undefined as never, // a message naming no event id never reaches the database
    dlq,
    log: new WorkerLog(createLogger('text', log.stream)),
    metrics: createWorkerMetrics(registry),
    signal: new AbortController().signal,
    maxFailures: 5,
    deadLetterAttempts: 3,
    policy: { attempts: Infinity, baseDelayMs: 1, maxDelayMs: 2 },
    batchSize: 1,
    batchMaxMs: 10,
  };
  const scope: MessageScope = {
    origin: { topic: 'orders', partition: 2, offset: '41' },
    message: { key: Buffer.from('k1'), value: Buffer.from(`\u0001garbage ${'z'.repeat(3000)}`), headers: {} } as never,
    active: () => true,
    heartbeat: async () => {},
  };
  return { deps, scope, log, registry, sends: () => sends };
}

describe('deadLetter when the DLQ will not take the message', () => {
  it('gives up after deadLetterAttempts transient failures, each retry logged and counted, then moves on', async () => {
    const h = harness(() => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    const processed = await deadLetter(h.deps, h.scope, { errorCode: 'INVALID_EVENT', reason: 'not JSON: …' });
    expect(processed).toMatchObject({ outcome: 'dead_letter_failed', errorCode: 'INVALID_EVENT', offset: '41' });
    expect(h.sends()).toBe(3);
    expect(await metricValue(h.registry, 'redeemctl_worker_retries_total', { reason: 'dlq_produce' })).toBe(2);
    expect(await metricValue(h.registry, 'redeemctl_worker_dead_letter_failures_total', { reason: 'RETRIES_EXHAUSTED' })).toBe(1);
    const lines = h.log.lines();
    expect(lines.filter((l) => l.startsWith('warning: [RewardConsumer] Retrying dead-lettering orders/2/41 in ') && l.includes('after transient error'))).toHaveLength(2);
    const [line] = lines.filter((l) => l.includes('Could not dead-letter'));
    expect(line).toContain(
      '[RewardConsumer] Could not dead-letter message orders/2/41 (2.9 KB) to orders.dlq: Connection error: connect ECONNREFUSED 127.0.0.1:9092 (after 3 attempts); ' +
        'the message names no event id: the message is lost (key "k1", first bytes "\\u0001garbage zzz',
    );
    expect(line).toMatch(/…"\); the partition goes on$/);
    expect(line).toMatch(/^error: /);
  });

  it('does not retry a permanent refusal', async () => {
    const h = harness(tooLarge);
    const processed = await deadLetter(h.deps, h.scope, { errorCode: 'PROCESSING_ERROR', reason: 'boom (after 5 attempts)' });
    expect(processed?.outcome).toBe('dead_letter_failed');
    expect(h.sends()).toBe(1);
    expect(await metricValue(h.registry, 'redeemctl_worker_retries_total')).toBe(0);
    expect(await metricValue(h.registry, 'redeemctl_worker_dead_letter_failures_total', { reason: 'MESSAGE_TOO_LARGE' })).toBe(1);
    expect(await metricValue(h.registry, 'redeemctl_worker_failures_total', { error_code: 'PROCESSING_ERROR' })).toBe(1);
  });

  it('leaves the offset alone when the worker stops while retrying', async () => {
    const h = harness(() => new KafkaJSConnectionError('Connection error'));
    let active = true;
    const scope = { ...h.scope, active: () => active };
    const processed = deadLetter(h.deps, scope, { errorCode: 'INVALID_EVENT', reason: 'x' });
    active = false;
    expect(await processed).toBeNull();
    expect(await metricValue(h.registry, 'redeemctl_worker_dead_letter_failures_total')).toBe(0);
  });
});
