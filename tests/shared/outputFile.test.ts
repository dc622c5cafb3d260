import { existsSync, linkSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/shared/errors.js';
import { OutputFile } from '../../src/shared/outputFile.js';

const dir = mkdtempSync(join(tmpdir(), 'redeemctl-output-'));
const path = (name: string) => join(dir, name);

describe('OutputFile', () => {
  it('writes beside the path and replaces it only on commit', () => {
    const out = path('report.csv');
    writeFileSync(out, 'old\n');
    const file = OutputFile.open(out, '--report');
    file.write('new\n');
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(readFileSync(`${out}.partial`, 'utf8')).toBe('new\n');
    file.commit();
    expect(readFileSync(out, 'utf8')).toBe('new\n');
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('discard removes only what it wrote', () => {
    const out = path('kept.csv');
    writeFileSync(out, 'old\n');
    const file = OutputFile.open(out, '--report');
    file.write('half');
    file.discard();
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('refuses an input, through a symlink or a hard link, before writing anything', () => {
    const input = path('input.csv');
    writeFileSync(input, 'code\nA\n');
    symlinkSync(input, path('via-symlink.csv'));
    linkSync(input, path('via-hardlink.csv'));
    for (const name of ['input.csv', 'via-symlink.csv', 'via-hardlink.csv']) {
      expect(() => OutputFile.open(path(name), '--report', [input])).toThrow(UsageError);
      expect(() => OutputFile.open(path(name), '--report', [input])).toThrow(`--report ${path(name)} is the input file input.csv`);
    }
    expect(readFileSync(input, 'utf8')).toBe('code\nA\n');
  });

  it('replaces a leftover partial file, and never follows a symlink planted there', () => {
    const out = path('planted.csv');
    const victim = path('victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, `${out}.partial`);
    const file = OutputFile.open(out, '--report');
    file.write('report\n');
    file.commit();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(out, 'utf8')).toBe('report\n');
  });

  it('names the flag and the path when the directory is missing', () => {
    expect(() => OutputFile.open(path('no/such/dir/x.csv'), '--output')).toThrow(`--output ${path('no/such/dir/x.csv')}: cannot write it`);
  });
});
