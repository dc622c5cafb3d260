import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, REPO_ROOT, TEST_HOME } from './cliHarness.js';
import { pollUntil } from './workerHarness.js';

/** A `redeemctl worker` child process, its output collected. */
export class WorkerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(args: string[], env: Record<string, string>): WorkerProcess {
    const child = spawn(process.execPath, [BIN, 'worker', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: TEST_HOME, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child);
  }

  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** Waits for a stdout line matching `pattern`; fails early, with the output, if the process exits. */
  async waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    return pollUntil(
      () => {
        const line = this.lines().find((l) => pattern.test(l));
        if (!line && exited) throw new Error(`worker exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
        return line;
      },
      { timeoutMs, what: `${pattern} from the worker` },
    );
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Best effort, for afterAll: SIGKILL if still running. */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
