import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { DEFAULT_TOPIC, kafkaSettings, type KafkaSettings } from '../kafka/settings.js';

/** The flags every `events` and `dlq` command takes. */
export interface KafkaFlags {
  brokers?: string | undefined;
  topic?: string | undefined;
}

/** --brokers, --topic and --json, with the environment variable and the default in the help. */
export function withKafkaOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
  json = 'one JSON document on stdout',
) {
  return command
    .addOption(new Option('--brokers <host:port,…>', 'Kafka bootstrap brokers (env: KAFKA_BROKERS; no default)'))
    .addOption(new Option('--topic <name>', `the redemption events topic (env: KAFKA_TOPIC; default: ${DEFAULT_TOPIC})`))
    .option('--json', json);
}

/** Flag, then environment, then default; none configured is exit 3 (DependencyError) at once. */
export function settingsFrom(flags: KafkaFlags, env: Record<string, string | undefined>): KafkaSettings {
  return kafkaSettings({ brokers: flags.brokers, topic: flags.topic }, env);
}
