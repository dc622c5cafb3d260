// Kafka security (issue 10, point 12; docs/kafka.md, "Security"): TLS and SASL settings for every
// command that talks to Kafka, against the project's own broker started with a SASL_PLAINTEXT
// listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and an SSL listener that requires a client
// certificate of a throwaway CA. A wrong password is exit 3 with one clear line that never holds
// the password; the right one works end to end (inject, tail, the worker redeeming).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSecurity } from '../../src/kafka/security.js';
import { kafkaSettings } from '../../src/kafka/settings.js';
import { UsageError } from '../../src/shared/errors.js';
import { envWithKafkaFlags } from '../../src/cli/kafkaOptions.js';
import { ensureDist, REPO_ROOT, runBinary, runInProcess, type CliResult } from '../support/cliHarness.js';
import { TEST_TOKEN_ENV } from '../support/jwt.js';
import { createServerDatabase, type TestDatabase } from '../support/databases.js';
import { Scenario, uniqueName } from '../support/scenario.js';
import { pollUntil } from '../support/workerHarness.js';
import { WorkerProcess } from '../support/workerProcess.js';

interface SecuredBroker {
  brokers: string;
  saslBrokers: string;
  sslBrokers: string;
  saslUsers: Array<{ name: string; password: string }>;
  tls: { ca: string; clientCert: string; clientKey: string };
  stop(): Promise<void>;
}
const brokerModuleUrl = new URL('../../scripts/kafka-broker.js', import.meta.url).href;

const FAST_MS = 10_000;
const WRONG = 'wrong-password-never-printed-41b7';
let broker: SecuredBroker | undefined;
let handle: TestDatabase | undefined;
let s: Scenario;
let env: Record<string, string>;
let secrets: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  await ensureDist();
  const { startBroker } = (await import(brokerModuleUrl)) as { startBroker(o: object): Promise<SecuredBroker> };
  broker = await startBroker({ sasl: true, ssl: true, killOnExit: true, heap: '384m' });
  handle = await createServerDatabase({ poolSize: 2 });
  s = await Scenario.create(handle.database.db, {
    merchant: { name: uniqueName('Kafka Security') },
    users: [{ email: 'ann@sec.test', points: 1_000 }],
    rewards: [{ reward_code: 'MUG', name: 'Mug', fallback_points: 10 }],
  });
  env = { DATABASE_URL: handle.url!, REDEEMCTL_MERCHANT: s.merchantId, REDEEMCTL_ACTOR: 'tester', NO_COLOR: '1' };
  secrets = mkdtempSync(join(tmpdir(), 'redeemctl-kafka-secrets-'));
}, 180_000);

afterAll(async () => {
  for (const w of workers) await w.dispose();
  await broker?.stop();
  await handle?.drop();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
}, 60_000);

function alice(): { name: string; password: string } {
  return broker!.saslUsers.find((u) => u.name === 'alice')!;
}

function sasl(mechanism: string, password = alice().password): Record<string, string> {
  return { KAFKA_BROKERS: broker!.saslBrokers, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: password };
}

async function run(argv: string[], extra: Record<string, string>): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const result = await runBinary(argv, { ...env, ...extra }, REPO_ROOT);
  return { ...result, ms: Date.now() - started };
}

const inject = (topic: string, count = 1) => ['events', 'inject', '--user', 'ann@sec.test', '--reward', 'MUG', '--count', String(count), '--topic', topic, '--execute', '--reason', 'test'];

describe('security settings (no broker)', () => {
  it('resolves flag, then environment; the password stays out of JSON and inspect', () => {
    const settings = kafkaSettings({ brokers: 'h:1', kafkaSaslUsername: 'bob' }, { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'p-4711-secret' });
    expect(settings.security).toMatchObject({ tls: false, sasl: { mechanism: 'scram-sha-512', username: 'bob' } });
    expect(settings.security!.clientConfig()).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'p-4711-secret' } });
    expect(JSON.stringify(settings)).not.toContain('p-4711-secret');
    expect(inspect(settings, { depth: 10 })).not.toContain('p-4711-secret');
    expect(kafkaSettings({ brokers: 'h:1' }, {}).security).toBeUndefined();
    expect(kafkaSecurity({}, { KAFKA_SSL: 'true' })?.clientConfig()).toEqual({ ssl: true });
  });

  it('refuses incomplete or unknown settings as bad usage (exit 2), never echoing a password', () => {
    const cases: Array<Record<string, string>> = [
      { KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'p-secret-1' },
      { KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'a' },
      { KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_PASSWORD: 'p-secret-1' },
      { KAFKA_SASL_PASSWORD: 'p-secret-1' },
      { KAFKA_SSL: 'maybe' },
      { KAFKA_SSL_CERT: '/nonexistent/client.crt' },
      { KAFKA_SSL_CA: '/nonexistent/ca.pem' },
    ];
    for (const e of cases) {
      let caught: unknown;
      try {
        kafkaSecurity({}, e);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(e)).toBeInstanceOf(UsageError);
      expect((caught as Error).message).not.toContain('p-secret-1');
    }
  });
});

describe('the flags of worker and serve (no broker)', () => {
  it('serve lays its flags over the environment; a flag wins, a password file drops KAFKA_SASL_PASSWORD', () => {
    const env = envWithKafkaFlags({ kafkaSsl: true, kafkaSaslMechanism: 'plain', kafkaSaslPasswordFile: '/run/pw' }, { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'x' });
    expect(env).toEqual({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD_FILE: '/run/pw' });
  });

  it('bad security settings are exit 2 before the database or Kafka, for serve and worker alike', async () => {
    const flags = ['--brokers', '127.0.0.1:1', '--kafka-sasl-mechanism', 'PLAIN', '--kafka-sasl-username', 'alice'];
    const served = await runInProcess(['serve', '--port', '0', ...flags], { env: { ...TEST_TOKEN_ENV } });
    expect(served.code, served.stderr).toBe(2);
    expect(served.stderr).toMatch(/SASL PLAIN needs a password: set KAFKA_SASL_PASSWORD/);
    const worker = await runInProcess(['worker', '--brokers', '127.0.0.1:1', '--kafka-sasl-mechanism', 'GSSAPI'], { env: { KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'p-secret-2' } });
    expect(worker.code, worker.stderr).toBe(2);
    expect(worker.stderr).toMatch(/Unknown SASL mechanism "GSSAPI"/);
    expect(worker.stderr).not.toContain('p-secret-2');
  });
});

describe('against a broker with SASL and TLS listeners', () => {
  it.each(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])('%s with a wrong password: exit 3 within seconds, one line naming the user, never the password', async (mechanism) => {
    const r = await run(inject('sec-wrong'), sasl(mechanism, WRONG));
    expect(r.code, r.stderr).toBe(3);
    expect(r.ms).toBeLessThan(FAST_MS);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toBe(
      `error: Kafka at ${broker!.saslBrokers} refused the credentials (SASL ${mechanism} as alice): authentication failed. ` +
        'Check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE, --kafka-sasl-password-file).',
    );
    expect(r.stdout + r.stderr).not.toContain(WRONG);
  });

  it('SCRAM-SHA-256 with the password in a file (a flag): inject, then tail reads the events back', async () => {
    const file = join(secrets, 'alice.password');
    writeFileSync(file, `${alice().password}\n`, { mode: 0o600 });
    const flags = ['--brokers', broker!.saslBrokers, '--kafka-sasl-mechanism', 'scram-sha-256', '--kafka-sasl-username', 'alice', '--kafka-sasl-password-file', file];
    const topic = `sec-scram-${Date.now()}`;
    const published = await run([...inject(topic, 3), ...flags, '--json'], {});
    expect(published.code, published.stderr).toBe(0);
    const ids = (JSON.parse(published.stdout) as { events: Array<{ event_id: string }> }).events.map((e) => e.event_id);
    expect(ids).toHaveLength(3);
    const tailed = await run(['events', 'tail', '--topic', topic, '--from-beginning', '--limit', '3', '--json', ...flags], {});
    expect(tailed.code, tailed.stderr).toBe(0);
    const seen = tailed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: { event_id: string } }).event.event_id);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(published.stdout + published.stderr + tailed.stdout + tailed.stderr).not.toContain(alice().password);
  });

  it('PLAIN from the environment: the worker redeems what inject published, and never logs the password', async () => {
    const topic = `sec-worker-${Date.now()}`;
    const published = await run(inject(topic, 2), { ...sasl('PLAIN'), KAFKA_TOPIC: topic });
    expect(published.code, published.stderr).toBe(0);
    const worker = WorkerProcess.spawn(['--group', `sec-group-${Date.now()}`], { ...env, ...sasl('PLAIN'), KAFKA_TOPIC: topic });
    workers.push(worker);
    await pollUntil(async () => (await s.balance('ann@sec.test')) === 1_000 - 2 * 10, { timeoutMs: 45_000, what: 'two redemptions by the worker' });
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.stdout + worker.stderr).not.toContain(alice().password);
  });

  it('without credentials on the SASL listener: exit 3, Kafka unreachable', async () => {
    const r = await run(inject('sec-none'), { KAFKA_BROKERS: broker!.saslBrokers });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^error: Cannot reach Kafka at /);
  });

  it('TLS with the CA and a client certificate works; without the CA or the certificate, exit 3 naming TLS', async () => {
    const tls = { KAFKA_BROKERS: broker!.sslBrokers, KAFKA_SSL_CA: broker!.tls.ca, KAFKA_SSL_CERT: broker!.tls.clientCert, KAFKA_SSL_KEY: broker!.tls.clientKey };
    const ok = await run(inject(`sec-tls-${Date.now()}`), tls);
    expect(ok.code, ok.stderr).toBe(0);

    const noCa = await run([...inject('sec-tls'), '--kafka-ssl'], { KAFKA_BROKERS: broker!.sslBrokers });
    expect(noCa.code, noCa.stderr).toBe(3);
    expect(noCa.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(noCa.stderr).toMatch(new RegExp(`^error: Cannot reach Kafka at ${broker!.sslBrokers} over TLS \\(unable to verify the first certificate\\)\\. Check KAFKA_SSL_CA`));

    const noCert = await run([...inject('sec-tls'), '--kafka-ssl-ca', broker!.tls.ca], { KAFKA_BROKERS: broker!.sslBrokers });
    expect(noCert.code, noCert.stderr).toBe(3);
    expect(noCert.stderr).toContain('over TLS (the broker refused the client certificate)');
  });

  it('help lists the settings; no flag takes the password itself', async () => {
    for (const command of [['worker'], ['serve'], ['events', 'inject'], ['dlq', 'list']]) {
      const r = await run([...command, '--help'], {});
      expect(r.stdout).toContain('--kafka-sasl-mechanism');
      expect(r.stdout).toContain('--kafka-sasl-password-file');
      expect(r.stdout).toContain('--kafka-ssl-ca');
      expect(r.stdout).not.toMatch(/--kafka-sasl-password </);
    }
  });
});
