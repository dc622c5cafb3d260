#!/usr/bin/env node
// Dev Kafka broker CLI: node scripts/kafka.js start|stop|status   (see docs/kafka.md)
//
//   start   resolves the jars if needed, starts a single-node KRaft broker in the background,
//           records it in .cache/kafka/state.json and prints its bootstrap address as the last
//           line of stdout (when one is already running, just prints its address)
//   stop    SIGTERM (SIGKILL after a timeout), removes the broker's temp folder and the state
//   status  "running <address> (pid N)" or "not running"; exit code 0 / 3
//
// Everything but the address goes to stderr, so `BROKERS=$(node scripts/kafka.js start)` works.

import {
  STATE_FILE,
  clearState,
  readState,
  runningBroker,
  rssBytes,
  startBroker,
  stopBroker,
  writeState,
} from './kafka-broker.js';

async function start() {
  const running = runningBroker();
  if (running) {
    process.stdout.write(`${running.brokers}\n`);
    return 0;
  }
  const stale = readState();
  if (stale) {
    // recorded but dead: clean up what it left behind
    await stopBroker(stale).catch(() => {});
    clearState();
  }
  const handle = await startBroker();
  writeState(handle);
  const rss = rssBytes(handle.pid);
  process.stderr.write(
    `kafka: Kafka ${handle.version} broker up in ${(handle.startupMs / 1000).toFixed(1)}s ` +
      `(pid ${handle.pid}, controller port ${handle.controllerPort}` +
      `${rss ? `, rss ${Math.round(rss / 2 ** 20)} MiB` : ''}); logs in ${handle.logDir}\n`,
  );
  process.stdout.write(`${handle.brokers}\n`);
  return 0;
}

async function stop() {
  const state = readState();
  if (!state) {
    process.stderr.write('kafka: not running\n');
    return 0;
  }
  await stopBroker(state);
  clearState();
  process.stderr.write(`kafka: stopped broker ${state.brokers} (pid ${state.pid})\n`);
  return 0;
}

function status() {
  const state = runningBroker();
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
  process.stderr.write('usage: node scripts/kafka.js start|stop|status\n');
  process.exit(2);
}
try {
  process.exitCode = await run();
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
