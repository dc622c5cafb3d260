import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '../../src/shared/redact.js';

// Issue 10, point 7: no secret of a database or broker URL is ever printed, in any form.

describe('redactUrl', () => {
  it.each([
    ['postgres://u:secret@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['postgresql://u:secret@h/db?sslmode=require', 'postgresql://u:***@h/db?sslmode=require'],
    ['postgres://:secret@h/db', 'postgres://:***@h/db'],
    ['postgres://u:p@ss@h/db', 'postgres://u:***@h/db'],
    ['postgres://u:p%40ss@h/db', 'postgres://u:***@h/db'],
    ['postgres://u@h/db?password=secret', 'postgres://u@h/db?password=***'],
    ['postgres://u@h/db?sslmode=verify-full&password=secret&application_name=w', 'postgres://u@h/db?sslmode=verify-full&password=***&application_name=w'],
    ['postgres://u@h/db?sslpassword=secret&sslkey=/keys/client.key&sslcert=/keys/client.crt', 'postgres://u@h/db?sslpassword=***&sslkey=***&sslcert=/keys/client.crt'],
    ['postgres://u@h/db?PASSWORD=secret', 'postgres://u@h/db?PASSWORD=***'],
    ['postgres://u@h/db?pass%77ord=secret', 'postgres://u@h/db?pass%77ord=***'],
    ['postgres://u:a@h/db?password=b&token=c', 'postgres://u:***@h/db?password=***&token=***'],
    ['postgres://u@%2Fvar%2Frun%2Fpostgresql/db', 'postgres://u@%2Fvar%2Frun%2Fpostgresql/db'],
    ['postgres://u:secret@/db?host=/var/run/postgresql', 'postgres://u:***@/db?host=/var/run/postgresql'],
    ['host=h dbname=db user=u password=secret', 'host=h dbname=db user=u password=***'],
    ["host=h password='a b\\' c' sslpassword = x", "host=h password=*** sslpassword = ***"],
    ['sasl_ssl://alice:secret@broker-1:9093', 'sasl_ssl://alice:***@broker-1:9093'],
    ['/home/me/.redeemctl', '/home/me/.redeemctl'],
    ['memory://', 'memory://'],
    ['postgres://u@h:5432/db', 'postgres://u@h:5432/db'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('redactSecrets in a message', () => {
  it('masks every URL and pair in running text, leaving the rest', () => {
    const text =
      'Cannot reach the database at postgres://u:pw1@h/db?password=pw2: connect ECONNREFUSED; retry with ' +
      'postgres://v@h2/db?sslpassword=pw3 (password=pw4)';
    const out = redactSecrets(text);
    for (const secret of ['pw1', 'pw2', 'pw3', 'pw4']) expect(out).not.toContain(secret);
    expect(out).toContain('connect ECONNREFUSED; retry with');
    expect(out).toContain('postgres://v@h2/db');
  });

  it('leaves text without secrets as it was', () => {
    const text = 'Retrying event e-1 in 200ms after transient error (attempt 3): cannot execute INSERT in a read-only transaction (25006)';
    expect(redactSecrets(text)).toBe(text);
  });
});
