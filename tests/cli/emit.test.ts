import { describe, expect, it } from 'vitest';
import { emit } from '../../src/cli/emit.js';
import { CommandContext } from '../../src/cli/context.js';
import { OperatorAbortError } from '../../src/shared/errors.js';
import { bySuccess, done, refused, type Outcome } from '../../src/shared/outcome.js';
import { Refusal } from '../../src/shared/refusal.js';

// src/cli/emit.ts: the one printer of a finite command's outcome (docs/cli.md). One JSON document
// with --json, else the rendering; a Refusal in the engine's shape; the exit code handed back.

function context(json: boolean) {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env: {} };
  return { ctx: new CommandContext(io, { json }), out };
}

const render = (_io: unknown, r: { n: number }) => `n is ${r.n}`;

describe('emit', () => {
  it('prints the result as one JSON document with --json, the rendering without, and returns the exit code', () => {
    const asJson = context(true);
    expect(emit(asJson.ctx, { exitCode: 1, result: { n: 2 } }, render)).toBe(1);
    expect(JSON.parse(asJson.out.stdout)).toEqual({ n: 2 });
    const human = context(false);
    expect(emit(human.ctx, done({ n: 3 }), render)).toBe(0);
    expect(human.out).toEqual({ stdout: 'n is 3\n', stderr: '' });
  });

  it("prints a Refusal in the engine's shape: {success, error_code, message, …} or REFUSED CODE: message", () => {
    const refusal = new Refusal('USER_NOT_FOUND', 'No member with line 2', { published: 0 }, 'nothing published');
    const outcome: Outcome<{ n: number } | Refusal> = refused(refusal);
    const asJson = context(true);
    expect(emit(asJson.ctx, outcome, render)).toBe(1);
    expect(JSON.parse(asJson.out.stdout)).toEqual({ success: false, error_code: 'USER_NOT_FOUND', message: 'No member with line 2', published: 0 });
    const human = context(false);
    emit(human.ctx, outcome, render);
    expect(human.out.stdout).toBe('REFUSED USER_NOT_FOUND: No member with line 2; nothing published\n');
  });

  it('notes beside the JSON go to stderr, only with --json', () => {
    const notes = { notesWithJson: (r: { n: number }) => [`warning: ${r.n}`] };
    const asJson = context(true);
    emit(asJson.ctx, done({ n: 4 }), render, notes);
    expect(asJson.out.stderr).toBe('warning: 4\n');
    const human = context(false);
    emit(human.ctx, done({ n: 4 }), render, notes);
    expect(human.out.stderr).toBe('');
  });

  it('stopped by the operator: the JSON document still prints, then the message is exit 130', () => {
    const stopped = { stopped: (r: { n: number }, signal: string) => `${signal} after ${r.n}` };
    const outcome = { exitCode: 130, result: { n: 5 }, stoppedBy: 'SIGTERM' };
    const asJson = context(true);
    expect(() => emit(asJson.ctx, outcome, render, stopped)).toThrow(new OperatorAbortError('SIGTERM after 5'));
    expect(JSON.parse(asJson.out.stdout)).toEqual({ n: 5 });
    const human = context(false);
    expect(() => emit(human.ctx, outcome, render, stopped)).toThrow(OperatorAbortError);
    expect(human.out.stdout).toBe('');
  });

  it("bySuccess takes the engine's verdict as the exit code", () => {
    expect(bySuccess({ success: true }).exitCode).toBe(0);
    expect(bySuccess({ success: false }).exitCode).toBe(1);
  });
});
