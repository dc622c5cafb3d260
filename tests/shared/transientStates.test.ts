import { describe, expect, it } from 'vitest';
import { isTransientError } from '../../src/shared/errors.js';

// Issue 10, point 3: what a failover or an overloaded server answers is transient (the worker
// pauses and retries); what a bad request answers is not.

function withCode(code: string): Error & { code: string } {
  return Object.assign(new Error(`failed with ${code}`), { code });
}

describe('isTransientError: failover and overload states', () => {
  it.each([
    ['25006', 'read-only transaction (a demoted primary, a standby)'],
    ['53000', 'insufficient resources'],
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['53300', 'too many connections'],
    ['57014', 'statement timeout (query canceled)'],
    ['55P03', 'lock timeout'],
    ['58030', 'I/O error'],
    ['08006', 'connection failure'],
    ['57P01', 'admin shutdown'],
  ])('%s (%s) is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['22P02', 'invalid text representation'],
    ['42883', 'undefined function'],
    ['25P02', 'in failed transaction'],
    ['RD001', 'misuse'],
  ])('%s (%s) is not', (code) => {
    expect(isTransientError(withCode(code))).toBe(false);
  });

  it('a query that timed out on the client (node-postgres query_timeout) is transient', () => {
    expect(isTransientError(new Error('Query read timeout'))).toBe(true);
  });
});
