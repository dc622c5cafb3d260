import { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { errorHint, firstUnknownOption, refusalHint, refusedCode, usageHint } from '../../src/cli/hints.js';
import { ERROR_CODES } from '../../src/engine/types.js';
import { DependencyError, KafkaNotConfiguredError, KafkaUnreachableError, UsageError } from '../../src/shared/errors.js';
import { Refusal } from '../../src/shared/refusal.js';

// The hint table (src/cli/hints.ts): what to do next after a refusal or an error. The built CLI
// prints them in tests/cli/hints.test.ts.

const redeem = { command: 'redeemctl redeem', user: 'a b@x', reward: 'MUG' };

describe('refusal hints', () => {
  it('name the command that shows why, with the keys given, quoted for the shell', () => {
    expect(refusalHint('INSUFFICIENT_POINTS', redeem)).toBe(
      "the balance, the price and the largest quantity allowed now: redeemctl quote --user 'a b@x' --reward MUG",
    );
    expect(refusalHint('REWARD_NOT_FOUND', redeem)).toMatch(/redeemctl rewards list/);
    expect(refusalHint('USER_NOT_FOUND', redeem)).toMatch(/redeemctl members find <fragment>/);
    expect(refusalHint('OUT_OF_STOCK', redeem)).toMatch(/redeemctl rewards show MUG/);
  });

  it('send quote elsewhere: it already shows what quote would', () => {
    const quote = { ...redeem, command: 'redeemctl quote' };
    expect(refusalHint('INSUFFICIENT_POINTS', quote)).toMatch(/redeemctl members show 'a b@x'/);
    expect(refusalHint('LIMIT_EXCEEDED', quote)).toMatch(/redeemctl redemptions list --user 'a b@x' --reward MUG/);
    expect(refusalHint('LIMIT_EXCEEDED', redeem)).toMatch(/redeemctl quote/);
  });

  it('cover every refusal an operator can meet from the CLI', () => {
    // Raised only for events (worker, API), where no hint is printed.
    const eventOnly = ['INVALID_EVENT', 'INVALID_EVENT_ID', 'INVALID_TIME_ZONE'];
    const missing = ERROR_CODES.filter((c) => !eventOnly.includes(c) && refusalHint(c, { command: 'redeemctl cancel' }) === undefined);
    expect(missing).toEqual([]);
  });

  it('read the code from a Refusal, an engine result or a quote verdict', () => {
    expect(refusedCode(new Refusal('USER_NOT_FOUND', 'x'))).toBe('USER_NOT_FOUND');
    expect(refusedCode({ success: false, error_code: 'OUT_OF_STOCK' })).toBe('OUT_OF_STOCK');
    expect(refusedCode({ eligible: false, would_fail: { error_code: 'NOT_ELIGIBLE', message: '' } })).toBe('NOT_ELIGIBLE');
    expect(refusedCode({ success: true, error_code: null })).toBeUndefined();
    expect(refusedCode({ would_fail: null })).toBeUndefined();
  });
});

describe('error hints', () => {
  it('a usage error: the command help, and the group docs', () => {
    expect(errorHint(new UsageError('bad'), 'redeemctl codes import')).toBe('run redeemctl codes import --help for usage; details: docs/codes.md');
    expect(usageHint('redeemctl redeem')).toBe('run redeemctl redeem --help for usage');
    expect(errorHint(new UsageError('bad'), undefined)).toBe('run redeemctl --help for usage');
  });

  it('its own hint, or none where the message already says what to do', () => {
    expect(errorHint(new UsageError('x', { hint: 'do y' }), 'redeemctl redeem')).toBe('do y');
    expect(errorHint(new UsageError('run `redeemctl db seed` first', { hint: null }), 'redeemctl redeem')).toBeUndefined();
  });

  it('Kafka: how to get a broker; other dependencies: none', () => {
    expect(errorHint(new KafkaNotConfiguredError(), 'redeemctl events tail')).toMatch(/npm run -s kafka:start/);
    expect(errorHint(new KafkaUnreachableError(['h:1'], 'connection refused'), undefined)).toMatch(/KAFKA_BROKERS/);
    expect(errorHint(new DependencyError('Cannot reach the database'), 'redeemctl redeem')).toBeUndefined();
  });
});

describe('firstUnknownOption', () => {
  const program = new Command('tool').option('--merchant <m>');
  const redeem = program.command('redeem').requiredOption('--reward <r>').option('-q, --quantity <n>');
  it('finds a flag neither the command nor its parents declare', () => {
    expect(firstUnknownOption(redeem, ['--quantiy', '2'])).toBe('--quantiy');
    expect(firstUnknownOption(redeem, ['--quantiy=2'])).toBe('--quantiy=2');
    expect(firstUnknownOption(redeem, ['-q', '--merchant', 'file', '-'])).toBeUndefined();
    expect(firstUnknownOption(redeem, ['--', '--x'])).toBeUndefined();
  });
});
