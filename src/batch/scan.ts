import { CsvFile } from '../shared/csv.js';
import { readGrants } from './grantsCsv.js';
import type { KeyResolver } from './resolveKeys.js';
import type { GrantMode, GrantRow } from './types.js';

// The first, streamed pass over a grants file: the header and every row checked, the file's
// sha256 (the batch id comes from it), the keys to resolve, and what each member x reward pair
// asks for in total. Memory grows with distinct keys and pairs, not with rows.

export interface PairDemand {
  /** The first row of the pair: its keys stand for all of them. */
  sample: GrantRow;
  rows: number;
  units: number;
}

export interface Scan {
  sha256: string;
  rows: number;
  invalid: number;
  /** By the keys as written (column and value); resolve to ids with resolvePairs. */
  pairs: Map<string, PairDemand>;
}

export async function scanGrants(path: string, defaultMode: GrantMode, resolver: KeyResolver): Promise<Scan> {
  const csv = new CsvFile(path);
  const scan: Scan = { sha256: '', rows: 0, invalid: 0, pairs: new Map() };
  for await (const row of readGrants(csv, defaultMode)) {
    scan.rows++;
    if (row.problem) {
      scan.invalid++;
      continue;
    }
    resolver.add(row);
    const key = `${row.memberColumn}\u0000${row.member}\u0000${row.rewardColumn}\u0000${row.reward}`;
    const pair = scan.pairs.get(key);
    if (pair) {
      pair.rows++;
      pair.units += row.quantity;
    } else {
      scan.pairs.set(key, { sample: row, rows: 1, units: row.quantity });
    }
  }
  scan.sha256 = csv.sha256;
  return scan;
}

export interface ResolvedDemand {
  /** Rows whose member or reward is not found in this merchant. */
  unknownRows: number;
  /** `${userId}|${rewardId}` pairs with their rows and units, keys merged (email and tel of one member). */
  pairs: Map<string, { userId: string; rewardId: string; rows: number; units: number }>;
  unitsByReward: Map<string, number>;
}

/** Call after resolver.resolve(). */
export function resolveDemand(scan: Scan, resolver: KeyResolver): ResolvedDemand {
  const demand: ResolvedDemand = { unknownRows: 0, pairs: new Map(), unitsByReward: new Map() };
  for (const pair of scan.pairs.values()) {
    const userId = resolver.memberId(pair.sample);
    const rewardId = resolver.rewardId(pair.sample);
    if (!userId || !rewardId) {
      demand.unknownRows += pair.rows;
      continue;
    }
    const key = `${userId}|${rewardId}`;
    const known = demand.pairs.get(key) ?? { userId, rewardId, rows: 0, units: 0 };
    known.rows += pair.rows;
    known.units += pair.units;
    demand.pairs.set(key, known);
    demand.unitsByReward.set(rewardId, (demand.unitsByReward.get(rewardId) ?? 0) + pair.units);
  }
  return demand;
}
