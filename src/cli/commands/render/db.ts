import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { keyValues, table } from '../../output.js';
import type { Backend } from '../../../db/database.js';
import type { MigrationStatus } from '../../../db/migrations.js';
import type { SeedSummary } from '../../../demo/seed.js';

// Human renderings of `db migrate`, `db status` and `db seed` (--json prints the objects as they are).

export function renderMigrated(_io: CliIO, r: { database: string; applied: string[] }): string {
  if (r.applied.length === 0) return `Schema is current (${r.database}); nothing to apply.`;
  return `Applied ${r.applied.length} migration(s) to ${r.database}: ${r.applied.join(', ')}`;
}

export function renderSchemaStatus(io: CliIO, r: { database: string; backend: Backend; migrations: MigrationStatus[] }): string {
  return [
    `${r.backend} ${r.database}`,
    table(io, ['id', 'migration', 'state', 'applied at'], r.migrations.map((s) => [s.id, s.name, s.state, formatTime(s.appliedAt)])),
  ].join('\n');
}

export function renderSeeded(io: CliIO, file: string, summary: SeedSummary): string {
  return [
    `Seeded ${file}`,
    keyValues(io, [
      ['merchant', `${summary.merchant} (${summary.merchantId})`],
      ['members', formatCount(summary.users)],
      ['rewards', formatCount(summary.rewards)],
      ['codes added', formatCount(summary.codes)],
    ]),
  ].join('\n');
}
