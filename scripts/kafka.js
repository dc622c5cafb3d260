#!/usr/bin/env node
// Dev Kafka broker CLI: node scripts/kafka.js start|stop|status   (see docs/kafka.md)
//
//   start [--nodes N] [--sasl] [--ssl]
//           resolves the jars if needed, starts a single-node KRaft broker in the background
//           (--nodes 3: three KRaft nodes, one quorum; --sasl / --ssl: extra secured listeners),
//           records it in .cache/kafka/state.json and prints its bootstrap address as the last
//           line of stdout (when one is already running, just prints its address)
//   stop    SIGTERM (SIGKILL after a timeout), removes the broker's temp folder and the state
//   status  "running <address> (pid N)" or "not running"; exit code 0 / 3
//
// Everything but the address goes to stderr, so `BROKERS=$(node scripts/kafka.js start)` works.

import { parseArgs } from 'node:util';
import {
  STATE_FILE,
  isAlive,
  serializableState,
  startCluster,
  clearState,
  readState,
  runningBroker,
  rssBytes,
  startBroker,
  stopBroker,
  writeState,
} from './kafka-broker.js';

/** Running per state.json: a single broker, or a cluster with at least one live node. */
function running() {
  const state = readState();
  if (state?.nodes) return state.nodes.some((n) => isAlive(n.pid)) ? state : null;
  return runningBroker();
}

/** A cluster's state.json: its address and each node as a single broker's state. */
function writeClusterState(cluster) {
  writeState({ cluster: true, brokers: cluster.brokers, clusterId: cluster.clusterId, nodes: cluster.nodes.map(serializableState) });
}

async function stopRecorded(state) {
  if (state.nodes) await Promise.all(state.nodes.map((n) => stopBroker(n)));
  else await stopBroker(state);
}

async function start(args) {
  const { values } = parseArgs({ args, options: { nodes: { type: 'string', default: '1' }, sasl: { type: 'boolean' }, ssl: { type: 'boolean' } } });
  const nodes = Number.parseInt(values.nodes, 10);
  if (!(nodes >= 1 && nodes <= 5)) throw new Error('kafka: --nodes takes 1 to 5');
  const current = running();
  if (current) {
    process.stdout.write(`${current.brokers}\n`);
    return 0;
  }
  const stale = readState();
  if (stale) {
    // recorded but dead: clean up what it left behind
    await stopRecorded(stale).catch(() => {});
    clearState();
  }
  if (nodes > 1) {
    if (values.sasl || values.ssl) throw new Error('kafka: --sasl and --ssl are for a single node');
    const cluster = await startCluster({ nodes });
    writeClusterState(cluster);
    process.stderr.write(
      `kafka: ${nodes} KRaft nodes up in ${(cluster.startupMs / 1000).toFixed(1)}s ` +
        `(pids ${cluster.nodes.map((n) => n.pid).join(', ')}); logs in ${cluster.nodes.map((n) => n.logDir).join(', ')}\n`,
    );
    process.stdout.write(`${cluster.brokers}\n`);
    return 0;
  }
  const handle = await startBroker({ sasl: values.sasl, ssl: values.ssl });
  writeState(handle);
  const rss = rssBytes(handle.pid);
  process.stderr.write(
    `kafka: Kafka ${handle.version} broker up in ${(handle.startupMs / 1000).toFixed(1)}s ` +
      `(pid ${handle.pid}, controller port ${handle.controllerPort}` +
      `${rss ? `, rss ${Math.round(rss / 2 ** 20)} MiB` : ''}); logs in ${handle.logDir}\n`,
  );
  if (handle.saslBrokers) process.stderr.write(`kafka: SASL_PLAINTEXT on ${handle.saslBrokers} (users and passwords in ${STATE_FILE})\n`);
  if (handle.sslBrokers) process.stderr.write(`kafka: SSL on ${handle.sslBrokers} (CA and client certificate in ${handle.tls.dir})\n`);
  process.stdout.write(`${handle.brokers}\n`);
  return 0;
}

async function stop() {
  const state = readState();
  if (!state) {
    process.stderr.write('kafka: not running\n');
    return 0;
  }
  await stopRecorded(state);
  clearState();
  process.stderr.write(`kafka: stopped ${state.nodes ? `${state.nodes.length} nodes` : 'broker'} ${state.brokers}\n`);
  return 0;
}

function status() {
  const state = running();
  if (state?.nodes) {
    const alive = state.nodes.map((n) => `node ${n.nodeId} pid ${n.pid} ${isAlive(n.pid) ? 'up' : 'down'}`);
    process.stdout.write(`running ${state.brokers} (${alive.join(', ')})\n`);
    return 0;
  }
  if (state) {
    const rss = rssBytes(state.pid);
    process.stdout.write(
      `running ${state.brokers} (pid ${state.pid}, Kafka ${state.version}` +
        `${rss ? `, rss ${Math.round(rss / 2 ** 20)} MiB` : ''}, logs in ${state.logDir})\n`,
    );
    return 0;
  }
  const stale = readState();
  process.stdout.write(`not running${stale ? ` (stale state for ${stale.brokers} in ${STATE_FILE})` : ''}\n`);
  return 3;
}

const cmd = process.argv[2];
const commands = { start, stop, status };
const run = commands[/** @type {keyof typeof commands} */ (cmd)];
if (!run) {
  process.stderr.write('usage: node scripts/kafka.js start [--nodes N] [--sasl] [--ssl] | stop | status\n');
  process.exit(2);
}
try {
  process.exitCode = await run(process.argv.slice(3));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
