// PostgreSQL for tests: DATABASE_URL if set, else the local server (docs/testing.md).

/** Set by the global setup (one template per run, so two runs on one server do not collide). */
export function templateDb(): string {
  const name = process.env.REDEEMCTL_TEMPLATE_DB;
  if (!name) throw new Error('REDEEMCTL_TEMPLATE_DB is not set: run the tests through vitest (tests/support/pgGlobalSetup.ts)');
  return name;
}

export function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = '/' + name;
  return url.toString();
}
