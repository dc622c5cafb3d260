import { redactUrl } from '../shared/redact.js';
import type { CommandContext } from './context.js';
import type { Outcome } from '../shared/outcome.js';
import { Refusal } from '../shared/refusal.js';

// What a state-changing command acts on, in one line, printed in its preview and in its
// confirmation question or refusal, so an operator sees which database and which broker before
// anything changes: `Target: context prod, database postgres://ops:***@db/prod, topic reward_redemptions @ 10.0.0.1:9092`.

/** The Kafka side of a target: the topic written (or the group moved) and the brokers. */
export interface KafkaTarget {
  brokers: string[];
  topic: string;
}

export function describeTarget(ctx: CommandContext, kafka?: KafkaTarget): string {
  const url = ctx.options.databaseUrl;
  const parts = [
    // The named profile in use, first: it is what an operator chose, the rest follows from it (docs/config.md).
    ...(ctx.contextName !== undefined ? [`context ${ctx.contextName}`] : []),
    url ? `database ${redactUrl(url)}` : `embedded database ${ctx.options.dataDir ?? '.redeemctl'}`,
  ];
  if (kafka) parts.push(`topic ${kafka.topic} @ ${kafka.brokers.join(',')}`);
  if (ctx.options.merchant) parts.push(`merchant ${ctx.options.merchant}`);
  return `Target: ${parts.join(', ')}`;
}

/** Puts the target line into a report (the --json document has it as `target`); a refusal is left as it is. */
export function targeted<T>(outcome: Outcome<T>, target: string): Outcome<T> {
  const { result } = outcome;
  if (result !== null && typeof result === 'object' && !(result instanceof Refusal)) (result as { target?: string }).target = target;
  return outcome;
}
