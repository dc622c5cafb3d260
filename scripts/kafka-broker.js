// A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for development
// and tests. The jars come from Maven Central through kafka/pom.xml (see docs/kafka.md).
//
//   startBroker({ dir? })          -> handle { brokers, host, port, controllerPort, pid, dir, ..., stop() }
//   stopBroker(stateOrHandle)      -> SIGTERM, SIGKILL after a timeout, removes the temp dir
//   restartBroker(handle, { signal }) -> kill the JVM, start it again on the same ports and log dir
//   ensureKafkaJars()              -> resolves kafka/target/lib with Maven when it is missing
//
// Plain ESM JavaScript on purpose: `node scripts/kafka.js start` needs no build step.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const KAFKA_POM = path.join(REPO_ROOT, 'kafka', 'pom.xml');
export const KAFKA_LIB_DIR = path.join(REPO_ROOT, 'kafka', 'target', 'lib');
export const STATE_FILE = path.join(REPO_ROOT, '.cache', 'kafka', 'state.json');

const HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 15_000;
const DEFAULT_HEAP = '512m';

// ---------------------------------------------------------------------------------------------
// jars

/** The Kafka version kafka/pom.xml asks for (the `kafka.version` property). */
export function pomKafkaVersion() {
  const pom = fs.readFileSync(KAFKA_POM, 'utf8');
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error(`cannot find <kafka.version> in ${KAFKA_POM}`);
  return m[1];
}

function libHasVersion(libDir, version) {
  try {
    return fs.readdirSync(libDir).includes(`kafka_2.13-${version}.jar`);
  } catch {
    return false;
  }
}

/**
 * Makes sure kafka/target/lib holds the jars of the version in kafka/pom.xml, running Maven
 * when it does not (Maven's stdout goes to our stderr so that a caller's stdout stays clean).
 * The jars are copied into a scratch folder first and renamed into place, so an interrupted
 * resolution never leaves a half-filled lib folder behind.
 * @returns {{ libDir: string, version: string, resolved: boolean, ms: number }}
 */
export function ensureKafkaJars({ libDir = KAFKA_LIB_DIR, quiet = true } = {}) {
  const version = pomKafkaVersion();
  if (libHasVersion(libDir, version)) return { libDir, version, resolved: false, ms: 0 };

  const started = Date.now();
  const scratch = `${libDir}.tmp-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  process.stderr.write(`kafka: resolving Kafka ${version} jars from Maven Central into ${libDir} ...\n`);
  const args = [
    ...(quiet ? ['-q'] : []),
    '-B',
    '-Dstyle.color=never',
    '-f',
    KAFKA_POM,
    'dependency:copy-dependencies',
    // the pom routes the copy through this property (default ${project.build.directory}/lib)
    `-Dkafka.lib.dir=${scratch}`,
  ];
  const res = spawnSync('mvn', args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  // Maven's output goes to our stderr (never stdout), without the bare colour resets that
  // Debian's Maven 3.8 prints even with -q -B -Dstyle.color=never
  // eslint-disable-next-line no-control-regex
  const mvnOut = `${res.stdout ?? ''}${res.stderr ?? ''}`.replace(/\u001b\[[0-9;]*m/g, '');
  if (mvnOut.trim()) process.stderr.write(mvnOut.endsWith('\n') ? mvnOut : `${mvnOut}\n`);
  if (res.error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(`kafka: could not run mvn (${res.error.message}); is Maven installed?`);
  }
  if (res.status !== 0 || !libHasVersion(scratch, version)) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(
      `kafka: 'mvn ${args.join(' ')}' failed (exit ${res.status ?? res.signal}); see its output above`,
    );
  }
  if (libHasVersion(libDir, version)) {
    // another process (a parallel `start`) finished first: keep its folder, it may be in use
    fs.rmSync(scratch, { recursive: true, force: true });
  } else {
    fs.rmSync(libDir, { recursive: true, force: true });
    try {
      fs.renameSync(scratch, libDir);
    } catch (e) {
      fs.rmSync(scratch, { recursive: true, force: true });
      if (!libHasVersion(libDir, version)) throw e;
    }
  }
  const ms = Date.now() - started;
  process.stderr.write(`kafka: jars resolved in ${(ms / 1000).toFixed(1)}s\n`);
  return { libDir, version, resolved: true, ms };
}

// ---------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on the loopback address (the OS picks it). */
export function freePort(host = HOST) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves true when something accepts a TCP connection on host:port. */
function portAnswers(port, host = HOST, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Kafka cluster ids are 16 random bytes in unpadded base64url; Kafka avoids a leading '-'. */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function readProcStat(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM';
  }
  const stat = readProcStat(pid);
  if (stat === null) return fs.existsSync('/proc') ? false : true; // no procfs: trust kill(0)
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** True when pid is alive and is *our* broker (guards against a recycled pid in state.json). */
function isOurBroker(state) {
  if (!isAlive(state.pid)) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8');
    return cmd.includes('kafka.Kafka') && cmd.includes(state.propsFile);
  } catch {
    return true; // no procfs: trust the pid
  }
}

/** Resident set size of a process in bytes (Linux), or null. */
export function rssBytes(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The last `lines` lines of the broker's logs (log4j file, then the JVM's stdout/stderr). */
export function brokerLogTail(state, lines = 60) {
  const parts = [];
  for (const file of [path.join(state.logDir, 'server.log'), path.join(state.logDir, 'stdout.log')]) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
    if (tail) parts.push(`--- ${file} (last ${lines} lines) ---\n${tail}`);
  }
  return parts.join('\n') || `(no broker log found in ${state.logDir})`;
}

/** Extra JVM options from KAFKA_DEV_JVM_OPTS (space-separated). */
function envJvmOpts() {
  return (process.env.KAFKA_DEV_JVM_OPTS ?? '').split(/\s+/).filter(Boolean);
}

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function majorOf(version) {
  return Number.parseInt(String(version).split('.')[0] ?? '0', 10);
}

// ---------------------------------------------------------------------------------------------
// config files

/** The listeners of one node: PLAINTEXT (bootstrap, inter-broker), optional SASL_PLAINTEXT and SSL, CONTROLLER. */
function listenerLines(s) {
  const listeners = [`PLAINTEXT://${HOST}:${s.port}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  if (s.saslPort) {
    listeners.push(`SASL_PLAINTEXT://${HOST}:${s.saslPort}`);
    protocols.push('SASL_PLAINTEXT:SASL_PLAINTEXT');
  }
  if (s.sslPort) {
    listeners.push(`SSL://${HOST}:${s.sslPort}`);
    protocols.push('SSL:SSL');
  }
  return [
    `listeners=${[...listeners, `CONTROLLER://${HOST}:${s.controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    `listener.security.protocol.map=${protocols.join(',')}`,
    ...securityLines(s),
  ];
}

/**
 * The SASL_PLAINTEXT listener takes PLAIN (users listed in its JAAS line) and SCRAM-SHA-256/512
 * (credentials written into the metadata log at format time, formatStorage's --add-scram). The SSL
 * listener presents a certificate of our own dev CA and requires a client certificate of it.
 */
function securityLines(s) {
  const lines = [];
  if (s.saslPort) {
    const plainUsers = s.saslUsers.map((u) => `user_${u.name}="${u.password}"`).join(' ');
    lines.push(
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    );
  }
  if (s.sslPort) {
    lines.push(
      'listener.name.ssl.ssl.keystore.type=PEM',
      `listener.name.ssl.ssl.keystore.location=${s.tls.serverPem}`,
      'listener.name.ssl.ssl.truststore.type=PEM',
      `listener.name.ssl.ssl.truststore.location=${s.tls.ca}`,
      'listener.name.ssl.ssl.client.auth=required',
    );
  }
  return lines;
}

function serverProperties(s) {
  const rf = s.replicas ?? 1;
  const minIsr = s.minIsr ?? 1;
  const lines = [
    '# written by scripts/kafka-broker.js: KRaft node (broker and controller) for development and tests',
    'process.roles=broker,controller',
    `node.id=${s.nodeId ?? 1}`,
    `controller.quorum.voters=${s.voters ?? `1@${HOST}:${s.controllerPort}`}`,
    ...listenerLines(s),
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `log.dirs=${s.dataDir}`,
    // one node: every internal topic with a single replica; a cluster: three, two in sync
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=5',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=5',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    ...(majorOf(s.version) >= 4
      ? [`share.coordinator.state.topic.replication.factor=${rf}`, `share.coordinator.state.topic.min.isr=${minIsr}`]
      : []),
    // tests: no join delay, topics on demand, short sessions allowed
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    // after a SIGKILL the restarted node must wait for its old broker session to expire before it
    // can register again: 4 s instead of 9 s keeps restartBroker() quick, 1 s heartbeats keep it safe
    'broker.session.timeout.ms=4000',
    'broker.heartbeat.interval.ms=1000',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    'num.partitions=3',
    // small segments and bounded retention: a test broker should stay small on disk
    'log.segment.bytes=1048576',
    'log.retention.ms=3600000',
    'log.retention.bytes=268435456',
    'log.retention.check.interval.ms=60000',
    'log.segment.delete.delay.ms=1000',
    'log.index.size.max.bytes=1048576',
    'log.cleaner.dedupe.buffer.size=16777216',
    // a 2-core machine: fewer threads than the defaults
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=4',
    '',
  ];
  return lines.join('\n');
}

function log4j2Properties(logDir) {
  const file = path.join(logDir, 'server.log');
  return [
    '# written by scripts/kafka-broker.js: broker logs go to a file, nothing to the console',
    'status = error',
    'name = kafka-dev-broker',
    'appender.file.type = RollingFile',
    'appender.file.name = FILE',
    `appender.file.fileName = ${file}`,
    `appender.file.filePattern = ${file}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 20MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 2',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    // the chattiest loggers
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = WARN',
    'logger.clients.name = org.apache.kafka.clients',
    'logger.clients.level = WARN',
    'logger.metadata.name = org.apache.kafka.image.loader',
    'logger.metadata.level = WARN',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// process control

function jvmArgs(state) {
  const extra = state.jvmOpts ?? [];
  const ownGc = extra.some((o) => /^-XX:\+Use\w+GC$/.test(o));
  return [
    `-Xmx${state.heap}`,
    '-Xms64m',
    ...(ownGc ? [] : ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20']),
    // C1 only: measured ~1.5 s faster start and ~50 MiB less RSS on 2 cores, and no C2 compiler
    // threads competing with the tests for CPU; a test broker never needs peak throughput.
    // (A later -XX:TieredStopAtLevel=4 in KAFKA_DEV_JVM_OPTS wins.)
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    ...extra,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${state.log4jFile}`,
    `-Dkafka.logs.dir=${state.logDir}`,
    '-cp',
    path.join(state.libDir, '*'),
  ];
}

/** SCRAM credentials of the SASL users, written into the metadata log by the formatter (KRaft). */
function scramArgs(state) {
  if (!state.saslPort) return [];
  return state.saslUsers.flatMap((u) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.name},password=${u.password}]`]),
  );
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, with openssl, in
 * <dir>/tls: ca.pem, server.pem (key + chain, Kafka's PEM keystore), client.crt, client.key.
 */
export function makeDevCertificates(dir) {
  const tlsDir = path.join(dir, 'tls');
  fs.mkdirSync(tlsDir, { recursive: true });
  const f = (name) => path.join(tlsDir, name);
  const openssl = (args) => {
    const res = spawnSync('openssl', args, { cwd: tlsDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (res.error || res.status !== 0) throw new Error(`kafka: openssl ${args[0]} failed: ${res.error?.message ?? res.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '7', '-subj', '/CN=redeemctl-dev-ca']);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'redeemctl-client']]) {
    openssl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    const ext = name === 'server' ? ['-extfile', f('server.ext')] : [];
    openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '7', ...ext]);
  }
  fs.writeFileSync(f('server.pem'), fs.readFileSync(f('server.key'), 'utf8') + fs.readFileSync(f('server.crt'), 'utf8'));
  return { dir: tlsDir, ca: f('ca.pem'), serverPem: f('server.pem'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/** Runs the storage formatter once, trying the class name of each Kafka line. */
function formatStorage(state) {
  const classes = ['kafka.tools.StorageTool', 'org.apache.kafka.tools.StorageTool'];
  let last = null;
  for (const cls of classes) {
    const res = spawnSync(
      javaBin(),
      [...jvmArgs({ ...state, heap: '256m' }), cls, 'format', '-t', state.clusterId, '-c', state.propsFile, ...scramArgs(state)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (res.error) throw new Error(`kafka: could not run ${javaBin()} (${res.error.message}); is Java 17+ installed?`);
    if (res.status === 0) return cls;
    last = `${res.stdout}\n${res.stderr}`.trim();
    if (!/ClassNotFoundException|Could not find or load main class/.test(last)) break;
  }
  throw new Error(`kafka: formatting the storage of ${state.dataDir} failed:\n${last}`);
}

function spawnJvm(state) {
  fs.mkdirSync(state.logDir, { recursive: true });
  const out = fs.openSync(path.join(state.logDir, 'stdout.log'), 'a');
  try {
    const child = spawn(javaBin(), [...jvmArgs(state), 'kafka.Kafka', state.propsFile], {
      cwd: state.dir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (!child.pid) throw new Error(`kafka: could not start ${javaBin()}`);
    let exit = null;
    child.once('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.once('error', (err) => {
      exit = { code: null, signal: null, error: err };
    });
    return { pid: child.pid, exitInfo: () => exit };
  } finally {
    fs.closeSync(out);
  }
}

/**
 * Waits until the PLAINTEXT port accepts connections AND a kafkajs admin client sees this broker
 * in describeCluster(). Fails early when the JVM dies.
 */
async function waitUntilReady(state, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const fail = (why) =>
    new Error(`kafka: broker on ${state.brokers} did not come up: ${why}\n${brokerLogTail(state)}`);
  const died = () => {
    const e = proc.exitInfo();
    if (e) return `the JVM exited (code ${e.code}, signal ${e.signal}${e.error ? `, ${e.error.message}` : ''})`;
    if (!isAlive(proc.pid)) return 'the JVM exited';
    return null;
  };

  while (!(await portAnswers(state.port))) {
    const d = died();
    if (d) throw fail(d);
    if (Date.now() > deadline) throw fail(`port ${state.port} did not answer within ${timeoutMs} ms`);
    await sleep(100);
  }

  const kafka = new Kafka({
    clientId: 'kafka-dev-broker-probe',
    brokers: [state.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  let lastErr = null;
  for (;;) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.clusterId !== state.clusterId) {
        // something else answers on our port (it was taken between picking and binding it)
        lastErr = new Error(`another Kafka cluster (${cluster.clusterId}) answers on ${state.brokers}`);
      } else if (cluster.brokers.some((b) => b.nodeId === (state.nodeId ?? 1))) {
        return cluster;
      } else {
        lastErr = new Error('describeCluster() does not list the broker yet');
      }
    } catch (e) {
      lastErr = e;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const d = died();
    if (d) throw fail(d);
    if (Date.now() > deadline) {
      throw fail(`describeCluster() did not succeed within ${timeoutMs} ms (last error: ${lastErr?.message ?? lastErr})`);
    }
    await sleep(200);
  }
}

async function killAndWait(pid, signal, timeoutMs) {
  if (!isAlive(pid)) return true;
  try {
    process.kill(pid, signal);
  } catch {
    return !isAlive(pid);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** Stops the JVM: `signal` (SIGTERM by default), then SIGKILL after `timeoutMs`. */
async function stopJvm(pid, { signal = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS } = {}) {
  if (await killAndWait(pid, signal, signal === 'SIGKILL' ? 10_000 : timeoutMs)) return;
  if (signal !== 'SIGKILL' && (await killAndWait(pid, 'SIGKILL', 10_000))) return;
  throw new Error(`kafka: broker process ${pid} did not exit`);
}

/** The JSON-serialisable part of a handle (what .cache/kafka/state.json records). */
export function serializableState(state) {
  const { stop: _stop, restart: _restart, ...rest } = state;
  return rest;
}

/** Turns the state object into the handle (same object: restartBroker updates its pid in place). */
function makeHandle(state) {
  state.stop = (opts) => stopBroker(state, opts);
  state.restart = (opts) => restartBroker(state, opts);
  return state;
}

// startBroker({ killOnExit: true }): a synchronous 'exit' hook SIGKILLs the JVM (and removes its
// temp folder) if this process exits without stopping it, even in the middle of startBroker()
const exitHooks = new WeakMap();

function armExitHook(state) {
  if (exitHooks.has(state)) return;
  const hook = () => {
    try {
      if (state.pid) process.kill(state.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (state.removeDirOnStop && state.dir) {
      try {
        fs.rmSync(state.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      } catch {
        // best effort
      }
    }
  };
  process.once('exit', hook);
  exitHooks.set(state, hook);
}

function disarmExitHook(state) {
  const hook = exitHooks.get(state);
  if (hook) {
    process.off('exit', hook);
    exitHooks.delete(state);
  }
}

/** `count` distinct free loopback ports. */
async function freePorts(count, taken = []) {
  const ports = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p) && !taken.includes(p)) ports.push(p);
  }
  return ports;
}

/** Two SASL users by default (admin and alice), with random passwords: PLAIN and SCRAM-SHA-256/512. */
function saslUsersOf(opt) {
  if (!opt) return [];
  if (Array.isArray(opt.users)) return opt.users;
  return ['admin', 'alice'].map((name) => ({ name, password: `${name}-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}` }));
}

/** The state of one node before it starts: ports, folders, settings. */
async function nodeState(opts, { libDir, version }) {
  const ownsDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'redeemctl-kafka-'));
  await fsp.mkdir(dir, { recursive: true });
  const given = [opts.port, opts.controllerPort].filter(Boolean);
  const [port, controllerPort, saslPort, sslPort] = await freePorts(4, given);
  const state = {
    version,
    host: HOST,
    nodeId: opts.nodeId ?? 1,
    port: opts.port ?? port,
    controllerPort: opts.controllerPort ?? controllerPort,
    saslPort: opts.sasl ? saslPort : undefined,
    sslPort: opts.ssl ? sslPort : undefined,
    saslUsers: saslUsersOf(opts.sasl),
    voters: opts.voters,
    replicas: opts.replicas ?? 1,
    minIsr: opts.minIsr ?? 1,
    pid: 0,
    dir,
    dataDir: path.join(dir, 'data'),
    logDir: path.join(dir, 'logs'),
    propsFile: path.join(dir, 'server.properties'),
    log4jFile: path.join(dir, 'log4j2.properties'),
    libDir,
    heap: opts.heap ?? DEFAULT_HEAP,
    jvmOpts: opts.jvmOpts ?? envJvmOpts(),
    clusterId: opts.clusterId ?? randomClusterId(),
    removeDirOnStop: opts.removeDirOnStop ?? ownsDir,
    startedAt: '',
    startupMs: 0,
  };
  state.brokers = `${HOST}:${state.port}`;
  if (state.saslPort) state.saslBrokers = `${HOST}:${state.saslPort}`;
  if (state.sslPort) {
    state.sslBrokers = `${HOST}:${state.sslPort}`;
    state.tls = makeDevCertificates(dir);
  }
  return state;
}

/** Writes the config files and formats the storage (the node does not run yet). */
async function prepareNode(state) {
  await fsp.mkdir(state.logDir, { recursive: true });
  await fsp.writeFile(state.propsFile, serverProperties(state));
  await fsp.writeFile(state.log4jFile, log4j2Properties(state.logDir));
  formatStorage(state);
}

/**
 * Formats a fresh KRaft log dir and starts a broker on free loopback ports.
 * @param {object} [opts]
 * @param {string} [opts.dir] folder for the broker's config, data and logs (default: a new temp folder)
 * @param {number} [opts.port] PLAINTEXT port (default: a free one)
 * @param {number} [opts.controllerPort] CONTROLLER port (default: a free one)
 * @param {boolean|{users: Array<{name: string, password: string}>}} [opts.sasl] also a SASL_PLAINTEXT
 *   listener (handle.saslBrokers) taking PLAIN and SCRAM-SHA-256/512 for these users (default:
 *   admin and alice with random passwords, in handle.saslUsers)
 * @param {boolean} [opts.ssl] also an SSL listener (handle.sslBrokers) with a throwaway CA, requiring
 *   a client certificate (handle.tls: ca, clientCert, clientKey file paths)
 * @param {string} [opts.heap] max heap, e.g. '512m'
 * @param {string[]} [opts.jvmOpts] extra JVM options (default: KAFKA_DEV_JVM_OPTS split on spaces)
 * @param {number} [opts.timeoutMs] how long to wait for readiness (default 60 s)
 * @param {boolean} [opts.removeDirOnStop] default: true when the folder was created here
 * @param {boolean} [opts.killOnExit] SIGKILL the broker when this Node process exits without
 *   stopping it (for test runners; the CLI leaves it running on purpose). Default false.
 */
export async function startBroker(opts = {}) {
  const state = await nodeState(opts, ensureKafkaJars());
  const started = Date.now();
  try {
    await prepareNode(state);
    if (opts.killOnExit) armExitHook(state);
    const proc = spawnJvm(state);
    state.pid = proc.pid;
    try {
      await waitUntilReady(state, proc, opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    } catch (e) {
      await stopJvm(proc.pid, { signal: 'SIGKILL' }).catch(() => {});
      throw e;
    }
  } catch (e) {
    disarmExitHook(state);
    if (state.removeDirOnStop) await fsp.rm(state.dir, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
  state.startedAt = new Date().toISOString();
  state.startupMs = Date.now() - started;
  return makeHandle(state);
}

/**
 * Starts `nodes` KRaft nodes (each broker and controller, one static voter quorum) from the same
 * jars on loopback ports, every internal topic with `nodes` replicas and min ISR nodes - 1.
 * Returns { brokers: 'h:p1,h:p2,…', nodes: [handle…], clusterId, stop() }; each node handle has
 * nodeId, pid, stop() and restart({ signal }) as a single broker's. With killOnExit, every JVM is
 * SIGKILLed when this process exits without stopping them.
 */
export async function startCluster({ nodes: count = 3, heap = '384m', timeoutMs = 90_000, killOnExit = false, jvmOpts } = {}) {
  const jars = ensureKafkaJars();
  const clusterId = randomClusterId();
  const controllerPorts = await freePorts(count);
  const voters = controllerPorts.map((p, i) => `${i + 1}@${HOST}:${p}`).join(',');
  const minIsr = Math.max(1, count - 1);
  const nodes = [];
  const started = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const state = await nodeState({ nodeId: i + 1, controllerPort: controllerPorts[i], voters, replicas: count, minIsr, clusterId, heap, jvmOpts }, jars);
      nodes.push(state);
      await prepareNode(state);
    }
    const procs = nodes.map((state) => {
      if (killOnExit) armExitHook(state);
      const proc = spawnJvm(state);
      state.pid = proc.pid;
      return proc;
    });
    await Promise.all(nodes.map((state, i) => waitUntilReady(state, procs[i], timeoutMs)));
  } catch (e) {
    await Promise.all(nodes.map((state) => stopBroker(state, { timeoutMs: 0 }).catch(() => {})));
    throw e;
  }
  for (const state of nodes) {
    state.startedAt = new Date().toISOString();
    state.startupMs = Date.now() - started;
    makeHandle(state);
  }
  return {
    clusterId,
    brokers: nodes.map((n) => n.brokers).join(','),
    nodes,
    startupMs: Date.now() - started,
    stop: () => Promise.all(nodes.map((n) => stopBroker(n))).then(() => {}),
  };
}

/**
 * Stops a broker (handle from startBroker or the object in .cache/kafka/state.json):
 * SIGTERM, then SIGKILL after `timeoutMs`; removes its folder when it was a temp folder.
 */
export async function stopBroker(state, { timeoutMs = DEFAULT_STOP_TIMEOUT_MS, removeDir } = {}) {
  if (state.pid && isOurBroker(state)) await stopJvm(state.pid, { signal: 'SIGTERM', timeoutMs });
  disarmExitHook(state);
  if ((removeDir ?? state.removeDirOnStop) && state.dir) {
    await fsp.rm(state.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

/**
 * Kills the broker's JVM and starts it again on the same ports with the same log dir (no
 * reformatting), then waits until it answers again. Updates `handle.pid` in place.
 * @param {object} handle from startBroker (or a state object with the same fields)
 * @param {object} [opts]
 * @param {'SIGKILL'|'SIGTERM'} [opts.signal] how to stop it (default SIGKILL: a crash)
 * @param {number} [opts.downMs] how long to stay down before starting again (default 0)
 * @param {number} [opts.timeoutMs] readiness timeout (default 60 s)
 */
export async function restartBroker(handle, { signal = 'SIGKILL', downMs = 0, timeoutMs = DEFAULT_START_TIMEOUT_MS } = {}) {
  if (handle.pid && isOurBroker(handle)) await stopJvm(handle.pid, { signal });
  if (downMs > 0) await sleep(downMs);
  // the ports were ours; wait briefly in case the old listener socket is still closing
  const deadline = Date.now() + 10_000;
  while ((await portAnswers(handle.port)) && Date.now() < deadline) await sleep(100);
  const started = Date.now();
  const proc = spawnJvm(handle);
  handle.pid = proc.pid;
  try {
    await waitUntilReady(handle, proc, timeoutMs);
  } catch (e) {
    await stopJvm(proc.pid, { signal: 'SIGKILL' }).catch(() => {});
    throw e;
  }
  handle.startedAt = new Date().toISOString();
  handle.startupMs = Date.now() - started;
  return handle;
}

// ---------------------------------------------------------------------------------------------
// the CLI's state file (.cache/kafka/state.json)

export function readState(file = STATE_FILE) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export function writeState(state, file = STATE_FILE) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(serializableState(state), null, 2)}\n`);
}

export function clearState(file = STATE_FILE) {
  fs.rmSync(file, { force: true });
}

/** The broker recorded in state.json when its process is still running, else null. */
export function runningBroker(file = STATE_FILE) {
  const state = readState(file);
  return state && isOurBroker(state) ? state : null;
}

export { isOurBroker as isBrokerRunning };
