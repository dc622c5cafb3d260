import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databaseUrl, templateDb } from '../support/pgUrls.js';

// sql/schema.sql is the schema the migrations build, committed so that every change to a table or
// a function shows in review as one diff. This dumps the run's migrated template (built from sql/
// by the global setup) and compares: a migration added or changed without `npm run schema:dump`
// fails here.

interface SchemaDumpModule {
  SCHEMA_FILE: string;
  dumpSchema(url: string): string;
}
const moduleUrl = new URL('../../scripts/schema-dump.js', import.meta.url).href;

describe('sql/schema.sql', () => {
  it('is what the migrations build (regenerate with `npm run schema:dump`)', async () => {
    const { SCHEMA_FILE, dumpSchema } = (await import(moduleUrl)) as SchemaDumpModule;
    const dumped = dumpSchema(databaseUrl(templateDb()));
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(dumped).toContain('CREATE FUNCTION public.redeem_reward_with_points');
    expect(committed === dumped, 'sql/schema.sql is out of date: run `npm run build && npm run schema:dump` and commit it').toBe(true);
  });
});
