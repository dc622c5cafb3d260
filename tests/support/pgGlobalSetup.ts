import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { embeddedDatabase } from '../../src/db/pglite.js';
import { migrate, readMigrationFiles } from '../../src/db/migrations.js';
import { adminUrl, databaseUrl } from './pgUrls.js';

/**
 * Builds one migrated template database for the run; each test file clones it
 * (CREATE DATABASE … TEMPLATE), which takes milliseconds instead of re-running migrations.
 * Likewise one migrated embedded image: PGlite's initdb costs about 2 s of CPU per database, a
 * start from the image about 0.6 s (tests/support/databases.ts createPGliteDatabase).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dropTemplate = await buildServerTemplate();
  const removeImage = await buildEmbeddedImage();
  return async () => {
    removeImage();
    await dropTemplate();
  };
}

async function buildEmbeddedImage(): Promise<() => void> {
  const file = join(tmpdir(), `redeemctl-pglite-image-${process.pid}.tar`);
  const pglite = new PGlite();
  const database = embeddedDatabase(pglite, 'memory://');
  try {
    await migrate(database, readMigrationFiles());
    const image = await pglite.dumpDataDir('none');
    writeFileSync(file, Buffer.from(await image.arrayBuffer()));
  } finally {
    await database.close();
  }
  process.env.REDEEMCTL_PGLITE_IMAGE = file;
  return () => rmSync(file, { force: true });
}

async function buildServerTemplate(): Promise<() => Promise<void>> {
  const TEMPLATE_DB = `redeemctl_template_${process.pid}`;
  // Test workers are forked after this runs and inherit the environment.
  process.env.REDEEMCTL_TEMPLATE_DB = TEMPLATE_DB;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.query(`create database ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const database = await openDatabase({ url: databaseUrl(TEMPLATE_DB), poolSize: 1 });
  try {
    await migrate(database, readMigrationFiles());
  } finally {
    await database.close();
  }
  // A closed client's server process exits a moment later; cloning needs the template idle.
  await waitUntilIdle(TEMPLATE_DB);
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    await client.query(`drop database if exists ${TEMPLATE_DB} with (force)`).catch(() => {});
    await client.end();
  };
}

async function waitUntilIdle(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await client.query(`select count(*)::int as n from pg_stat_activity where datname = $1`, [name]);
      if (rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`template database ${name} still has connections`);
  } finally {
    await client.end();
  }
}
