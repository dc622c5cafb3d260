#!/usr/bin/env node
// sql/schema.sql: the schema the migrations build, tables and functions, as pg_dump prints it, so a
// review shows every change to it in one diff (docs/architecture.md). tests/db/schema.test.ts
// dumps the test run's migrated template and compares; this script writes the file:
//
//   npm run schema:dump            (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
//
// It migrates a throwaway database with the built CLI (run `npm run build` first), dumps it and
// drops it.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCHEMA_FILE = fileURLToPath(new URL('../sql/schema.sql', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/redeemctl.js', import.meta.url));

/** The schema of the database at `url`, without what differs between two dumps of one schema. */
export function dumpSchema(url) {
  const text = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--dbname', url], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return normalise(text);
}

/**
 * Drops the lines that change from run to run or machine to machine: pg_dump's version banner,
 * the `\restrict` key newer pg_dump versions add, and session SETs; keeps one blank line at most.
 */
export function normalise(text) {
  const kept = text
    .split('\n')
    .filter((line) => !/^-- Dumped (from|by) /.test(line))
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .filter((line) => !/^SET |^SELECT pg_catalog\.set_config/.test(line));
  return (
    '-- The schema built by sql/00*.sql, dumped by `npm run schema:dump` (scripts/schema-dump.js).\n' +
    '-- Generated: edit the migrations, never this file; tests/db/schema.test.ts keeps it current.\n' +
    kept.join('\n').replace(/\n{3,}/g, '\n\n').trim() +
    '\n'
  );
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function main() {
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `redeemctl_schema_${randomBytes(5).toString('hex')}`;
  const psql = (sql) => execFileSync('psql', ['--quiet', '--no-psqlrc', '--dbname', admin, '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
  psql(`create database ${name}`);
  try {
    const url = withDatabase(admin, name);
    execFileSync(process.execPath, [BIN, 'db', 'migrate', '--database-url', url], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(SCHEMA_FILE, dumpSchema(url));
    process.stderr.write(`wrote ${SCHEMA_FILE}\n`);
  } finally {
    psql(`drop database if exists ${name} with (force)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
