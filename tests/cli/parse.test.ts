import { describe, expect, it } from 'vitest';
import { exactlyOne, parseMode, parseWholeNumber, requireText } from '../../src/cli/parse.js';
import { UsageError } from '../../src/shared/errors.js';

// src/cli/parse.ts: every flag parser names the flag and the bad value, and throws a UsageError
// (exit 2) rather than guessing.

function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseWholeNumber', () => {
  it.each([
    ['1', 1],
    ['7', 7],
    ['1000', 1000],
    [' 42 ', 42],
    ['007', 7],
  ])('%j is %d', (raw, value) => {
    expect(parseWholeNumber('--quantity', raw, 1, 1000)).toBe(value);
  });

  it.each(['abc', '2.5', '-1', '', '  ', '1e3', '0x10', '+5', '5abc', 'Infinity'])('%j is not a whole number', (raw) => {
    expect(usageErrorOf(() => parseWholeNumber('--quantity', raw, 1, 1000)).message).toBe(
      `--quantity must be a whole number from 1 to 1000, got ${JSON.stringify(raw)}`,
    );
  });

  it.each(['0', '1001', '99999999999999999999'])('%s is out of range', (raw) => {
    expect(usageErrorOf(() => parseWholeNumber('--quantity', raw, 1, 1000)).message).toBe(
      `--quantity must be a whole number from 1 to 1000, got ${raw}`,
    );
  });

  it('names whichever flag it parses, with its own bounds', () => {
    expect(parseWholeNumber('--concurrency', '0', 0, 64)).toBe(0);
    expect(usageErrorOf(() => parseWholeNumber('--concurrency', '65', 0, 64)).message).toBe('--concurrency must be a whole number from 0 to 64, got 65');
  });
});

describe('parseMode', () => {
  it('defaults to calc and accepts the three modes', () => {
    expect(parseMode(undefined)).toBe('calc');
    expect(['calc', 'direct', 'force'].map((m) => parseMode(m))).toEqual(['calc', 'direct', 'force']);
  });

  it('refuses anything else, listing what is allowed', () => {
    expect(usageErrorOf(() => parseMode('free')).message).toBe('--mode must be one of calc, direct, force, got "free"');
    expect(usageErrorOf(() => parseMode('CALC')).message).toBe('--mode must be one of calc, direct, force, got "CALC"');
    expect(usageErrorOf(() => parseMode('')).message).toBe('--mode must be one of calc, direct, force, got ""');
  });

  it('honours a narrower allowed list (a batch takes calc or direct only)', () => {
    expect(parseMode('direct', ['calc', 'direct'])).toBe('direct');
    expect(usageErrorOf(() => parseMode('force', ['calc', 'direct'])).message).toBe('--mode must be one of calc, direct, got "force"');
  });
});

describe('exactlyOne', () => {
  const flags = { redemption: '--redemption', code: '--code', event: '--event' };

  it('returns the one selector given and its value', () => {
    expect(exactlyOne<'redemption' | 'code' | 'event'>({ code: 'RWD123' }, flags)).toEqual(['code', 'RWD123']);
    expect(exactlyOne<'redemption' | 'code' | 'event'>({ event: 'e-1', redemption: undefined }, flags)).toEqual(['event', 'e-1']);
  });

  it('refuses none, naming every choice', () => {
    expect(usageErrorOf(() => exactlyOne<'redemption' | 'code' | 'event'>({}, flags)).message).toBe(
      'Name what to act on: one of --redemption, --code, --event',
    );
  });

  it('refuses two or more', () => {
    expect(usageErrorOf(() => exactlyOne<'redemption' | 'code' | 'event'>({ code: 'RWD1', event: 'e-1' }, flags)).message).toBe(
      'Give only one of --redemption, --code, --event',
    );
  });

  it('counts an empty string as given: the engine reports "not found" rather than guessing', () => {
    expect(exactlyOne<'redemption' | 'code' | 'event'>({ code: '' }, flags)).toEqual(['code', '']);
  });
});

describe('requireText', () => {
  it('returns the text as given', () => {
    expect(requireText('--reason', 'member changed their mind', 'to cancel')).toBe('member changed their mind');
    expect(requireText('--reason', ' padded ', 'to cancel')).toBe(' padded ');
  });

  it.each([undefined, '', '   ', '\t\n'])('refuses %j, naming the flag and why', (value) => {
    expect(usageErrorOf(() => requireText('--reason', value, 'with --mode direct')).message).toBe('--reason is required with --mode direct');
  });
});

describe('parseShutdownTimeout (worker and serve)', () => {
  it('takes plain seconds or a duration, from 1 s to 1 h', async () => {
    const { parseShutdownTimeout } = await import('../../src/cli/parse.js');
    expect(['25', '25s', '1m', '1.5', '1h'].map(parseShutdownTimeout)).toEqual([25_000, 25_000, 60_000, 1_500, 3_600_000]);
    for (const bad of ['0', '0.5', '2h', 'soon', '-1']) expect(() => parseShutdownTimeout(bad)).toThrow('--shutdown-timeout');
  });
});
