import { UsageError } from '../shared/errors.js';
import { parseDuration } from '../shared/durations.js';
import type { Mode } from '../engine/types.js';

// Flag parsers: each names the flag and the bad value, and changes nothing.

export function parseWholeNumber(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

export function parseMode(raw: string | undefined, allowed: readonly Mode[] = ['calc', 'direct', 'force']): Mode {
  const mode = (raw ?? 'calc') as Mode;
  if (!allowed.includes(mode)) throw new UsageError(`--mode must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return mode;
}

/** One of a few words: `--codes must be release or void`, `--error-code must be one of A, B, C`. */
export function parseChoice<C extends string>(flag: string, raw: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(raw)) {
    const words = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
    throw new UsageError(`${flag} must be ${words}, got ${JSON.stringify(raw)}`);
  }
  return raw as C;
}

/** Exactly one of several selector flags, e.g. --redemption | --code | --event. */
export function exactlyOne<K extends string>(options: NoInfer<{ [key in K]?: string | undefined }>, flags: Record<K, string>): [K, string] {
  const given = (Object.keys(flags) as K[]).filter((key) => options[key] !== undefined);
  if (given.length !== 1) {
    const names = Object.values(flags).join(', ');
    throw new UsageError(given.length === 0 ? `Name what to act on: one of ${names}` : `Give only one of ${names}`);
  }
  return [given[0]!, options[given[0]!]!];
}

export function requireText(flag: string, value: string | undefined, why: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required ${why}`);
  return value;
}

/**
 * A number of seconds (decimals allowed) from min to max, as milliseconds. `flag` names it in the
 * message, e.g. `--interval` or `--lock-wait (or REDEEMCTL_LOCK_WAIT)`.
 */
export function parseSeconds(flag: string, raw: string, min: number, max: number): number {
  const seconds = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(seconds >= min && seconds <= max)) {
    throw new UsageError(`${flag} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Math.round(seconds * 1000);
}

/** A daemon's --shutdown-timeout: plain seconds (25) or a duration (25s, 1m), at most an hour. */
export function parseShutdownTimeout(raw: string): number {
  const text = raw.trim();
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration('--shutdown-timeout', text);
  if (!(ms >= 1000 && ms <= 3_600_000)) throw new UsageError(`--shutdown-timeout must be from 1 s to 1 h, got ${JSON.stringify(raw)}`);
  return Math.round(ms);
}

/** --lock-wait (env REDEEMCTL_LOCK_WAIT): seconds, 0 to 3600, to wait for the embedded database (unset: the default). */
export function parseLockWait(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return parseSeconds('--lock-wait (or REDEEMCTL_LOCK_WAIT)', raw, 0, 3600);
}

/** --log-format of the daemons: text (one line per event) or json (JSON lines). */
export function parseLogFormat(raw: string | undefined): 'text' | 'json' {
  const format = raw ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json, got ${JSON.stringify(raw)}`);
  return format;
}
