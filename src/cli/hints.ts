import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { DataDirBusyError } from '../db/dataDirLock.js';
import { KafkaNotConfiguredError, KafkaUnreachableError, RedeemctlError, UsageError } from '../shared/errors.js';
import type { CliIO } from '../shared/io.js';
import { shellQuote } from '../shared/shellQuote.js';

// What to do next, after an error or a refusal: one `hint: …` line on stderr under the message,
// as gh and kubectl print theirs (docs/cli.md, "Errors and hints"). One table per kind, here, so
// the wording stays together and the messages themselves stay what they were (tests and scripts
// match them). A hint names a command to run, a flag, or a docs page; where there is no next step,
// there is no hint.

/** The `hint: …` line, as printed. */
export function hintLine(hint: string): string {
  return `hint: ${hint}`;
}

export function writeHint(io: CliIO, hint: string | undefined): void {
  if (hint) io.stderr.write(`${hintLine(hint)}\n`);
}

// ---- Refusals (exit 1): by the engine's error code (src/engine/types.ts ERROR_CODES) --------------

/** The keys the refused command was given, to write the command that shows why. */
export interface RefusalKeys {
  /** `redeemctl redeem`: the command that was refused. */
  command: string;
  user?: string;
  reward?: string;
}

type RefusalHint = (k: Required<RefusalKeys>) => string | undefined;

const arg = (value: string) => shellQuote(value);
const quote = (k: Required<RefusalKeys>) => `redeemctl quote --user ${arg(k.user)} --reward ${arg(k.reward)}`;
/** `quote` already shows what a hint to run quote would: it gets the next thing along instead. */
const unlessQuote = (k: Required<RefusalKeys>, hint: string, otherwise?: string) => (k.command === 'redeemctl quote' ? otherwise : hint);
const rewardCard = (k: Required<RefusalKeys>) => `redeemctl rewards show ${arg(k.reward)}`;
const ledger = (k: Required<RefusalKeys>) =>
  k.user === '' ? 'redeemctl redemptions list --user <member>' : `redeemctl redemptions list --user ${arg(k.user)}`;

const REFUSAL_HINTS: Record<string, RefusalHint> = {
  USER_NOT_FOUND: () => 'find the member by part of the email or tel: redeemctl members find <fragment>',
  REWARD_NOT_FOUND: () => 'list the reward codes: redeemctl rewards list (or complete them: redeemctl completion --help)',
  USER_INACTIVE: (k) => `the member's account: redeemctl members show ${arg(k.user)}`,
  REWARD_INACTIVE: (k) => `the reward's state and window: ${rewardCard(k)}`,
  NOT_ELIGIBLE: (k) => `who may redeem it (tiers, personas, tags): ${rewardCard(k)}; the member: redeemctl members show ${arg(k.user)}`,
  OUTSIDE_REDEMPTION_WINDOW: (k) => `the reward's redemption window: ${rewardCard(k)}`,
  NO_POINTS_CONFIG: (k) => `the reward's price per tier: ${rewardCard(k)}; pricing rules: docs/domain.md, "Points pricing"`,
  INSUFFICIENT_POINTS: (k) =>
    unlessQuote(k, `the balance, the price and the largest quantity allowed now: ${quote(k)}`, `the member's balance and latest redemptions: redeemctl members show ${arg(k.user)}`),
  INVALID_QUANTITY: (k) => unlessQuote(k, `the largest quantity allowed now: ${quote(k)}`, '--quantity is 1..1000'),
  LIMIT_EXCEEDED: (k) =>
    unlessQuote(k, `how much of each limit is used and left: ${quote(k)}`) ??
    `what counted against the limit: ${ledger(k)} --reward ${arg(k.reward)}; limits: docs/domain.md, "Limits"`,
  OUT_OF_STOCK: (k) => `the reward's stock: ${rewardCard(k)}`,
  INSUFFICIENT_CODES: (k) => `codes left per reward: redeemctl pool health; add codes: redeemctl codes import FILE.csv --reward ${arg(k.reward)} (docs/codes.md)`,
  CONCURRENT_CONFLICT: () => 'another request for the same member or reward held it: run the same command again',
  IDEMPOTENCY_CONFLICT: () => 'this --event-id was already used for a different request: leave --event-id out for a new one, or see it with redeemctl redemptions list',
  REDEMPTION_NOT_FOUND: (k) => `find the redemption and its codes: ${ledger(k)}`,
  ALREADY_CANCELLED: (k) => `the redemptions and their status: ${ledger(k)}`,
  REDEMPTION_CANCELLED: (k) => `the redemptions and their status: ${ledger(k)}`,
  ALREADY_USED: (k) => `the redemptions and their status: ${ledger(k)}; undo a mistaken use: redeemctl unuse`,
  NOT_USED: (k) => `the redemptions and their status: ${ledger(k)}`,
  NOT_REDEEMED: (k) => `the redemptions and their status: ${ledger(k)}`,
};

export function refusalHint(errorCode: string, keys: RefusalKeys): string | undefined {
  return REFUSAL_HINTS[errorCode]?.({ user: '', reward: '', ...keys });
}

/**
 * The error code when `result` is a refusal: a Refusal found before the engine, an engine result
 * with `success: false`, or a quote whose verdict is `would_fail`. Anything else: undefined.
 */
export function refusedCode(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { success?: unknown; error_code?: unknown; would_fail?: { error_code?: unknown } | null };
  if (r.success === false && typeof r.error_code === 'string') return r.error_code;
  if (typeof r.would_fail?.error_code === 'string') return r.would_fail.error_code;
  return undefined;
}

/** After a command printed its result: the hint for a refusal, on stderr (with --json too; stdout keeps only the result). */
export function writeRefusalHint(io: CliIO, result: unknown, keys: RefusalKeys): void {
  const code = refusedCode(result);
  if (code !== undefined) writeHint(io, refusalHint(code, keys));
}

// ---- Errors (exit 2, 3): by class; a usage error without a hint of its own gets the command's help --

/** The docs page for a command group, named beside its --help. */
const GROUP_DOCS: Record<string, string> = {
  codes: 'docs/codes.md',
  batch: 'docs/batch.md',
  events: 'docs/operations.md',
  dlq: 'docs/operations.md',
  worker: 'docs/worker.md',
  serve: 'docs/api.md',
  members: 'docs/lookup.md',
  rewards: 'docs/lookup.md',
  redemptions: 'docs/lookup.md',
  pool: 'docs/monitoring.md',
  metrics: 'docs/monitoring.md',
  dash: 'docs/dash.md',
  completion: 'docs/cli.md',
};

const KAFKA_HINT = 'a local broker for trying things: npm run -s kafka:start (from a checkout; prints the address for KAFKA_BROKERS); TLS and SASL: docs/kafka.md';

/** The hint for an error, `command` being the words of the command that ran (`redeemctl codes import`), if known. */
export function errorHint(error: unknown, command: string | undefined): string | undefined {
  if (error instanceof RedeemctlError && error.hint !== undefined) return error.hint ?? undefined;
  if (error instanceof KafkaUnreachableError || error instanceof KafkaNotConfiguredError) return KAFKA_HINT;
  if (error instanceof DataDirBusyError) return 'wait longer with --lock-wait SECONDS (REDEEMCTL_LOCK_WAIT); docs/embedded.md';
  if (error instanceof UsageError) return usageHint(command ?? 'redeemctl');
  return undefined;
}

/** `run redeemctl codes import --help for usage; docs/codes.md`. */
export function usageHint(command: string): string {
  const docs = GROUP_DOCS[command.split(' ')[1] ?? ''];
  return `run ${command} --help for usage${docs ? `; details: ${docs}` : ''}`;
}

/** `redeemctl codes import`: the command's words, without arguments or flags. */
export function commandWords(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own usage errors (unknown command or flag, with its "Did you mean …?", a missing
 * argument) end with the same hint line, naming the command they happened in. And a mistyped flag
 * is reported before a required one found missing: `redeem --rewrd X` is a typo of --reward, which
 * commander would otherwise report as "required option '--reward' not specified".
 */
export function hintCommanderErrors(program: CommandUnknownOpts): void {
  const visit = (command: CommandUnknownOpts): void => {
    command.showHelpAfterError(hintLine(usageHint(commandWords(command))));
    typoBeforeMissing(command);
    command.commands.forEach(visit);
  };
  visit(program);
}

/** The parts of commander 14 (pinned in package.json) this relies on: methods it calls on itself. */
interface CommanderInternals {
  args: string[];
  missingMandatoryOptionValue(option: unknown): void;
  unknownOption(flag: string): void;
}

function typoBeforeMissing(command: CommandUnknownOpts): void {
  const internals = command as unknown as CommanderInternals;
  const reportMissing = internals.missingMandatoryOptionValue.bind(internals);
  internals.missingMandatoryOptionValue = (option) => {
    const typo = firstUnknownOption(command, internals.args);
    if (typo !== undefined) internals.unknownOption(typo);
    reportMissing(option);
  };
}

/** The first word of `args` (what commander left unparsed) that looks like an option no command on the path declares. */
export function firstUnknownOption(command: CommandUnknownOpts, args: readonly string[]): string | undefined {
  for (const arg of args) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') continue;
    const flag = arg.split('=')[0]!;
    let known = false;
    for (let c: CommandUnknownOpts | null = command; c && !known; c = c.parent) known = c.options.some((o) => o.long === flag || o.short === flag);
    if (!known) return arg;
  }
  return undefined;
}
