import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/main.js';
import type { CliIO } from '../../src/shared/io.js';

// Running redeemctl from tests: in process through run(argv, io) with buffers, or as the built
// binary in a child process.

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  env: Record<string, string | undefined>;
  /** Pretend stdout is a terminal (colour decisions); stdin is never one unless stdinTTY. */
  stdoutTTY?: boolean;
  stdinTTY?: boolean;
}

/** One command line in this process; stdin is an empty, non-TTY stream unless told otherwise. */
export async function runInProcess(argv: string[], options: InProcessOptions): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(Readable.from([]), { isTTY: options.stdinTTY ?? false });
  const io: CliIO = {
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: options.stdoutTTY ?? false, columns: 120 },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: false },
    stdin,
    env: { HOME: TEST_HOME, ...options.env },
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/redeemctl.js', import.meta.url));

/**
 * HOME for the processes tests start: an empty folder, so a developer's own
 * ~/.config/redeemctl/config.json (docs/config.md) never chooses a context for a test.
 */
export const TEST_HOME = join(tmpdir(), 'redeemctl-test-home');
mkdirSync(TEST_HOME, { recursive: true });

/** `node bin/redeemctl.js …` with exactly this environment (plus PATH and HOME). */
export function runBinary(argv: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

/** A child's stdout and stderr as text, and how it ended (its exit code, or the signal that ended it). */
export function collectOutput(child: ChildProcess): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

/** Runs `npm run build` so dist/ (what bin/ imports) matches src/. */
export function buildDist(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${code}):\n${output}`))));
  });
}

/** Source files under src/ whose compiled module in dist/, or the bundle bin/ runs, is missing or older. */
export function staleModules(): string[] {
  const bundle = join(REPO_ROOT, 'dist', 'bundle', 'main.js');
  const bundledAt = (() => {
    try {
      return statSync(bundle).mtimeMs;
    } catch {
      return -1;
    }
  })();
  const src = join(REPO_ROOT, 'src');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(src)
    .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
    .filter((file) => {
      try {
        const changed = statSync(file).mtimeMs;
        return bundledAt < changed || statSync(join(REPO_ROOT, 'dist', relative(src, file).replace(/\.tsx?$/, '.js'))).mtimeMs < changed;
      } catch {
        return true;
      }
    });
}

let building: Promise<void> | undefined;

/**
 * `npm run build` only when dist/ is older than src/ (bin/ runs dist/). `npm test` has just built
 * it, so in a full run nothing is rebuilt, and no test's tsc rewrites modules under another test's
 * spawned binary.
 */
export async function ensureDist(): Promise<{ built: boolean; ms: number }> {
  const started = Date.now();
  if (staleModules().length === 0) return { built: false, ms: 0 };
  building ??= buildDist().finally(() => {
    building = undefined;
  });
  await building;
  return { built: true, ms: Date.now() - started };
}

/** ESC, the start of every ANSI colour sequence. */
export const ANSI = /\u001b\[/;
