import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from './errors.js';

/**
 * A file the command writes (a --report, an export), never half-written at its path and never
 * harmful to what is already there (docs/output.md):
 * - it is written to `<path>.partial` beside it, then renamed over the path at the end
 *   (commit()), so the path holds the old file or the complete new one, never a part;
 * - discard() removes the partial file only: an existing file at the path is left alone;
 * - a path that is one of the command's inputs (the same file, through a symlink or a hard link)
 *   is refused before anything is written.
 * A partial file left by a killed run holds what was written until then, and the next run
 * replaces it. The partial file is created exclusively, so a symlink planted there is not followed.
 */
export class OutputFile {
  private fd: number | null;
  private constructor(
    readonly path: string,
    readonly partialPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** `flag` names the option in messages (--report, --output); `inputs` are the files read. */
  static open(path: string, flag: string, inputs: readonly string[] = []): OutputFile {
    for (const input of inputs) {
      if (sameFile(path, input)) throw new UsageError(`${flag} ${path} is the input file ${basename(input)}: write to another path`);
    }
    const partialPath = `${path}.partial`;
    try {
      rmSync(partialPath, { force: true });
      return new OutputFile(path, partialPath, openSync(partialPath, 'wx'));
    } catch (error) {
      throw new UsageError(`${flag} ${path}: cannot write it: ${(error as Error).message}`, { cause: error });
    }
  }

  write(text: string): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    writeSync(this.fd, text);
  }

  /** The file is complete: it replaces whatever was at the path. */
  commit(): void {
    this.close();
    renameSync(this.partialPath, this.path);
  }

  /** Nothing is kept: the partial file goes, the path is untouched. */
  discard(): void {
    this.close();
    rmSync(this.partialPath, { force: true });
  }

  get open(): boolean {
    return this.fd !== null;
  }

  private close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** True when both paths name one existing file (symlinks followed, hard links compared by inode). */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
