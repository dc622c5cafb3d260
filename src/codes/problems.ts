import type { RawConnection } from '../db/database.js';
import { csvLine } from '../shared/csvWrite.js';
import { ChunkedWriter, type TextSink } from './csvOut.js';

export type ProblemKind = 'invalid' | 'duplicate_in_file' | 'duplicate_in_pool';

export interface Problem {
  line: number;
  code: string;
  kind: ProblemKind;
  problem: string;
}

const PAGE = 10_000;

/**
 * The staged rows that will not be imported, gathered once into their own table with an index on
 * line, so the report reads them a page at a time. Only when there are any: a clean import reads
 * none of its staged rows back.
 */
export async function gatherProblems(conn: RawConnection): Promise<void> {
  await conn.exec(`
    create temp table codes_problems on commit drop as
      select line, code, kind, problem, first_line, pool_reward, pool_batch from codes_stage where kind is not null;
    create index codes_problems_line on codes_problems (line)`);
}

/**
 * The problems (gatherProblems), in line order, a page at a time (keyset on line; the page is cut
 * before the join so no plan scans the table).
 */
export async function* problems(conn: RawConnection, rewardId: string, limit = Infinity): AsyncGenerator<Problem> {
  let after = 0;
  let left = limit;
  while (left > 0) {
    const { rows } = await conn.query<Problem>(
      `select s.line, s.code, s.kind,
              case s.kind
                when 'duplicate_in_file' then 'duplicate in file: first on line ' || s.first_line
                when 'duplicate_in_pool' then 'duplicate in pool' || coalesce(' (' || nullif(concat_ws(', ',
                  case when s.pool_reward <> $3::uuid then 'held by reward ' || r.reward_code end,
                  'batch ' || s.pool_batch), '') || ')', '')
                else s.problem end as problem
       from (select * from codes_problems where line > $1 order by line limit $2) s
       left join reward_master r on r.id = s.pool_reward
       order by s.line`,
      [after, Math.min(PAGE, left), rewardId],
    );
    for (const row of rows) yield row;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.line;
    left -= rows.length;
  }
}

export async function firstProblems(conn: RawConnection, rewardId: string, count: number): Promise<Problem[]> {
  const list: Problem[] = [];
  for await (const p of problems(conn, rewardId, count)) list.push(p);
  return list;
}

/**
 * --report OUT: every problem (gatherProblems first, when `any`), as CSV (line, code, problem),
 * written while the staging table lives. The sink is opened before the import starts, so a path that cannot be written fails first.
 */
export async function writeReport(conn: RawConnection, rewardId: string, sink: TextSink, any = true): Promise<number> {
  const out = new ChunkedWriter(sink);
  let written = 0;
  await out.line('line,code,problem\n');
  if (any) {
    for await (const p of problems(conn, rewardId)) {
      await out.line(csvLine([p.line, p.code, p.problem]));
      written++;
    }
  }
  await out.flush();
  return written;
}
