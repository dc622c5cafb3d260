import type pg from 'pg';

/**
 * Waits until backend `pid` waits on a lock (polled through `client`, another connection), or
 * until `answered()` says its statement already finished without waiting.
 */
export async function waitUntilWaitingOnLock(client: pg.Client, pid: number, answered: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (answered()) return;
    const { rows } = await client.query('select 1 from pg_locks where pid = $1 and not granted', [pid]);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`backend ${pid} never waited on a lock`);
}

/** The backend pid of a connected client. */
export async function backendPid(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
}
