import { createHash } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { DependencyError } from '../shared/errors.js';
import { sleep } from '../shared/sleep.js';

// One process at a time may open an embedded database folder: two PGlite instances on one folder
// each keep their own copy of the pages in memory, and the last to close overwrites the other's
// commits (docs/embedded.md). The lock is a listening local socket named after the folder:
//  - on Linux an abstract Unix socket, on Windows a named pipe: the kernel frees the name the
//    moment the holder dies, even by kill -9, so a lock can never be left behind;
//  - elsewhere (macOS) a socket file in the folder: a dead holder leaves the file, but connecting
//    to it is refused, which is how a stale lock is detected and removed.
// Whoever connects is told who holds the folder (pid, command, since), so a refusal can name them.

export interface LockHolder {
  pid: number;
  /** The command words, e.g. "redeemctl dash" (no flags: they may carry secrets). */
  command: string;
  /** ISO-8601 time the holder took the lock. */
  since: string;
  /** The holder gives the folder up when asked (the console does, between refreshes). */
  lends?: boolean;
}

export interface DataDirLock {
  readonly address: string;
  /** Frees the folder for the next process; call after the database has been closed. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** What this process is, told to anyone who finds the folder taken. */
  command: string;
  /** How long to wait for a holder to finish before refusing; 0 refuses at once. */
  waitMs: number;
  /** Called once, when the folder is found taken and waiting starts. */
  onWait?: (holder: LockHolder | undefined) => void;
  /** Poll interval while waiting; tests shorten it. */
  pollMs?: number;
  /**
   * Set by a holder that can give the folder up (the console): called when a waiting process asks
   * for it, with who asks. The holder then closes its database, which releases the lock.
   */
  onReleaseRequest?: (asker: LockHolder | undefined) => void;
}

/** The embedded database is in use by another process: exit 3, naming the holder and the way out. */
export class DataDirBusyError extends DependencyError {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      `The embedded database at ${folder} is in use by ${describeHolder(holder)}. ` +
        'It serves one process at a time: wait for that command to finish or stop it, ' +
        'or set DATABASE_URL (or --database-url) to a PostgreSQL server for concurrent use.',
    );
  }
}

export function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `pid ${holder.pid} (\`${holder.command}\`, since ${holder.since})` : 'another process (it did not say which)';
}

/** The socket address that stands for a folder (its real path, so two spellings share one lock). */
export function lockAddress(realFolder: string, platform: NodeJS.Platform = process.platform): string {
  const digest = createHash('sha256').update(realFolder).digest('hex').slice(0, 32);
  if (platform === 'linux') return `\0redeemctl-data-${digest}`;
  if (platform === 'win32') return `\\\\?\\pipe\\redeemctl-data-${digest}`;
  return join(realFolder, '.redeemctl.lock');
}

/** How long a lending holder is given to close its database and let go. */
const LEND_WAIT_MS = 5_000;

/** Takes the folder's lock, waiting up to `waitMs` for a holder; throws DataDirBusyError after that. */
export async function lockDataDir(realFolder: string, options: LockOptions): Promise<DataDirLock> {
  const address = lockAddress(realFolder);
  const holder: LockHolder = {
    pid: process.pid,
    command: options.command,
    since: new Date().toISOString(),
    ...(options.onReleaseRequest && { lends: true }),
  };
  let deadline = Date.now() + options.waitMs;
  let waiting = false;
  for (;;) {
    const listening = await tryListen(address, holder, options.onReleaseRequest);
    if (listening) return { address, release: listening.close };
    // A holder that lends is asked for the folder, unless we lend too (two consoles would pass it
    // back and forth for ever).
    const asking = !options.onReleaseRequest;
    const other = await askHolder(address, asking ? holder : undefined);
    if (other === 'gone') {
      // Only a socket file can outlive its process: remove it and try again at once.
      removeStaleSocketFile(address);
      continue;
    }
    // A lending holder (the console) gives the folder up within a refresh: worth waiting for, even
    // for a caller that would otherwise refuse at once.
    if (asking && other?.lends && !waiting) deadline = Math.max(deadline, Date.now() + LEND_WAIT_MS);
    if (Date.now() >= deadline) throw new DataDirBusyError(realFolder, other);
    if (!waiting) {
      waiting = true;
      options.onWait?.(other);
    }
    await sleep(Math.min(options.pollMs ?? 200, Math.max(1, deadline - Date.now())));
  }
}

/** Who holds a folder now: undefined when nobody does (or the holder did not answer in time). */
export async function whoHolds(realFolder: string): Promise<LockHolder | undefined> {
  const answer = await askHolder(lockAddress(realFolder));
  return answer === 'gone' ? undefined : answer;
}

/**
 * The listening side runs in a worker thread of its own. The main thread can be busy for seconds
 * without turning its event loop (a loop of PGlite queries only ever queues microtasks), and a
 * waiting process must still be told at once who holds the folder. The thread listens on the
 * address, answers each connection with the holder's line, and passes a `release <asker>` line
 * on to the main thread. It is unref'd: the lock never keeps a process alive.
 */
const LOCK_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const server = net.createServer((socket) => {
  let text = '';
  socket.on('error', () => {});
  socket.setEncoding('utf8');
  socket.setTimeout(2000, () => socket.destroy());
  socket.on('data', (chunk) => {
    text += chunk;
    const end = text.indexOf('\\n');
    if (end < 0) return;
    const line = text.slice(0, end);
    if (line.startsWith('release ')) parentPort.postMessage({ release: line.slice(8) });
    socket.end();
  });
  socket.write(workerData.holder + '\\n');
});
server.on('error', (error) => parentPort.postMessage({ error: error.code || 'ERROR', message: error.message }));
server.listen(workerData.address, () => parentPort.postMessage({ listening: true }));
parentPort.on('message', () => server.close(() => parentPort.postMessage({ closed: true })));
`;

interface LockThreadMessage {
  listening?: true;
  closed?: true;
  release?: string;
  error?: string;
  message?: string;
}

/** Listens on the address (from a lock thread); undefined when it is taken. */
async function tryListen(address: string, holder: LockHolder, onReleaseRequest: LockOptions['onReleaseRequest']): Promise<{ close(): Promise<void> } | undefined> {
  const thread = new Worker(LOCK_THREAD, { eval: true, workerData: { address, holder: JSON.stringify(holder) } });
  thread.unref();
  const first = await new Promise<LockThreadMessage>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  if (first.listening) {
    thread.on('message', (message: LockThreadMessage) => {
      if (message.release !== undefined) onReleaseRequest?.(parseHolder(message.release));
    });
    return {
      close: () =>
        new Promise<void>((resolve) => {
          thread.once('message', () => void thread.terminate().finally(resolve));
          thread.once('exit', () => resolve());
          thread.postMessage('close');
        }),
    };
  }
  await thread.terminate();
  if (first.error === 'EADDRINUSE') return undefined;
  throw new DependencyError(`Cannot lock the embedded database (${address.replace('\0', '@')}): ${first.message ?? first.error}`);
}

/**
 * Who holds the address: their statement, undefined if they accepted but said nothing in time (a
 * holder busy in a long synchronous query), or 'gone' when nobody listens any more (stale file).
 * With `asker`, a holder that lends the folder is asked to give it up.
 */
function askHolder(address: string, asker?: LockHolder, timeoutMs = 1_000): Promise<LockHolder | undefined | 'gone'> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(address);
    const finish = (value: LockHolder | undefined | 'gone') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!text.includes('\n')) return;
      const holder = parseHolder(text);
      if (holder?.lends && asker) socket.end(`release ${JSON.stringify(asker)}\n`, () => finish(holder));
      else finish(holder);
    });
    socket.on('end', () => finish(parseHolder(text)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // ECONNREFUSED / ENOENT: the name exists no more or has no listener: nobody holds it.
      finish(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'gone' : undefined);
    });
  });
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text.split('\n')[0] ?? '') as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.command === 'string' && typeof parsed.since === 'string') {
      return { pid: parsed.pid, command: parsed.command, since: parsed.since, ...(parsed.lends === true && { lends: true }) };
    }
  } catch {
    // an answer that is not ours: report the holder as unknown
  }
  return undefined;
}

function removeStaleSocketFile(address: string): void {
  if (address.startsWith('\0') || address.startsWith('\\\\')) return;
  try {
    unlinkSync(address);
  } catch {
    // someone else removed it first
  }
}
