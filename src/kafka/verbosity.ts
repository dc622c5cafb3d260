// Whether kafkajs's own log lines reach stderr: only with the global --verbose flag (or when
// KAFKAJS_LOG_LEVEL names a level). One switch for the process, set by each command's context
// (src/cli/context.ts), so every Kafka client the command makes follows it, the worker's and
// serve's publisher included. No kafkajs import here: every command loads this module.

let verbose = false;

export function setKafkaVerbose(on: boolean): void {
  verbose = on;
}

export function kafkaVerbose(): boolean {
  return verbose;
}
