import type { CliIO } from '../shared/io.js';
import { OperatorAbortError } from '../shared/errors.js';
import type { Outcome } from '../shared/outcome.js';
import { Refusal } from '../shared/refusal.js';
import type { TimeView } from '../shared/zonedTime.js';
import type { CommandContext } from './context.js';
import { listingCsv, type Listing } from './listing.js';
import { note, writeJson, writeLine } from './output.js';
import { writeRefusalHint, type RefusalKeys } from './hints.js';

// The one printer of a finite command's outcome (docs/cli.md, docs/output.md): with --json (or
// --output json) exactly one JSON document on stdout (the result as it is); with --output csv the
// listing's rows as CSV; else the human rendering, times in the merchant's zone (ctx.timeView). A
// Refusal found before the work (an unknown member or reward) prints as `REFUSED CODE: message` in
// either form's shape. The action returns what emit returns: the outcome's exit code.

/** The human form of a result, for stdout; times through `view` (the merchant's zone, or UTC). */
export type Render<T> = (io: CliIO, result: T, view: TimeView) => string;

export interface EmitOptions<T> {
  /**
   * Lines for stderr beside the JSON document (or the CSV), saying what a person would otherwise
   * have read in the rendering (a pool alert, a warning about what the document leaves out).
   */
  notesWithJson?: (result: T) => string[];
  /**
   * The operator stopped the work (outcome.stoppedBy): the message saying how far it got and how to
   * go on. The JSON document still prints; then the message goes to stderr, exit 130 (src/cli/main.ts).
   */
  stopped?: (result: T, signal: string) => string;
  /** A listing command: its rows, for --output csv (src/cli/listing.ts). */
  listing?: (result: T) => Listing<any>;
  /**
   * The keys the command was given: a refusal (a Refusal, `success: false`, a quote that would
   * fail) is followed on stderr by the hint naming what shows why (src/cli/hints.ts).
   */
  refusal?: RefusalKeys;
}

export function emit<T>(ctx: CommandContext, outcome: Outcome<T | Refusal>, render: Render<T>, options: EmitOptions<T> = {}): number {
  const { result } = outcome;
  if (ctx.json) writeJson(ctx.io, result);
  if (result instanceof Refusal) {
    if (!ctx.json) writeLine(ctx.io, result.line());
    if (options.refusal) writeRefusalHint(ctx.io, result, options.refusal);
    return outcome.exitCode;
  }
  if (outcome.stoppedBy !== undefined && options.stopped) throw new OperatorAbortError(options.stopped(result, outcome.stoppedBy));
  if (ctx.format === 'csv' && options.listing) writeCsv(ctx, options.listing(result));
  else if (!ctx.json) writeLine(ctx.io, render(ctx.io, result, ctx.timeView));
  if (ctx.format !== 'table') for (const line of options.notesWithJson?.(result) ?? []) note(ctx.io, line);
  if (options.refusal) writeRefusalHint(ctx.io, result, options.refusal);
  return outcome.exitCode;
}

/** The rows as CSV on stdout; that more rows exist goes to stderr, so stdout stays one CSV. */
function writeCsv(ctx: CommandContext, listing: Listing<unknown>): void {
  ctx.io.stdout.write(listingCsv(listing));
  if (listing.more) note(ctx.io, listing.more);
}
