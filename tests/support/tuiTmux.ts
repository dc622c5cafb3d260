import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Driving the console as a person would: in a real pseudo-terminal that tmux makes, with keys sent
// through it and the screen read back (capture-pane). Each session runs on its own tmux server,
// its socket in a temporary folder of its own, so a test never touches a tmux the developer has
// open, and kill() ends only it and leaves nothing behind.

const run = promisify(execFile);

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface TmuxOptions {
  /** argv of the program, run without a shell */
  command: string[];
  /** the program's whole environment (nothing is inherited: no CI, no KAFKA_BROKERS) */
  env: Record<string, string>;
  cwd: string;
  columns: number;
  rows: number;
}

export class TmuxSession {
  private constructor(
    private readonly socket: string,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: TmuxOptions): Promise<TmuxSession> {
    const dir = await mkdtemp(join(tmpdir(), 'redeemctl-tmux-'));
    const conf = join(dir, 'tmux.conf');
    // The pane stays after the program exits, so its exit status and last frame can be read; no
    // status bar, so the program has every row; a terminal type that has colours.
    await writeFile(conf, 'set -g remain-on-exit on\nset -g status off\nset -g default-terminal "xterm-256color"\n');
    const env = { LANG: 'C.UTF-8', ...options.env };
    const session = new TmuxSession(join(dir, 'socket'), dir, env);
    await session.tmux('-f', conf, 'new-session', '-d', '-s', 'dash', '-x', String(options.columns), '-y', String(options.rows), '-c', options.cwd, '--', ...options.command);
    return session;
  }

  private async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-u', '-S', this.socket, ...args], { env: this.env });
    return stdout;
  }

  /** The screen as text; with escapes, its colours as SGR sequences too. */
  async capture(options: { escapes?: boolean } = {}): Promise<string> {
    return this.tmux('capture-pane', '-p', ...(options.escapes ? ['-e'] : []), '-t', 'dash');
  }

  /** Keys in tmux's names: 'Down', 'Up', 'q', 'p', '?'. */
  async send(...keys: string[]): Promise<void> {
    for (const key of keys) await this.tmux('send-keys', '-t', 'dash', key);
  }

  /** Until the screen satisfies `check` (a pattern or a predicate), polling; the screen then. */
  async waitFor(check: RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test = typeof check === 'function' ? check : (screen: string) => check.test(screen);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = await this.capture();
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the screen never matched ${String(check)} within ${timeoutMs} ms; it shows:\n${screen}`);
  }

  /** null while the program runs, else its exit status. */
  async exitStatus(): Promise<number | null> {
    const [dead, status, signal] = (await this.tmux('display-message', '-p', '-t', 'dash', '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}')).trim().split('|');
    if (dead !== '1') return null;
    // Killed by a signal: tmux leaves the status empty and names the signal; report it as a shell
    // would. Seen under load: a closed pane with neither (tmux 3.3a had not reaped the process when
    // asked); that is read as a normal exit, as tmux itself shows it.
    if (signal) return 128 + Number(signal);
    return status ? Number(status) : 0;
  }

  async waitForExit(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await this.exitStatus();
      if (status !== null) return status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the program did not exit within ${timeoutMs} ms; the screen:\n${await this.capture()}`);
  }

  /** Ends this session's tmux server (and the program, if it still runs). */
  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}
