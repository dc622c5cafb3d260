import type { CliIO } from '../shared/io.js';
import { writeJson, writeLine } from './output.js';

/**
 * A refusal found before the engine is called (a member or reward key that names nothing), in
 * the engine's shape: `{success: false, error_code, message}` (plus `extra`) with --json, else
 * `REFUSED CODE: message`. Exit 1, like a refusal by the engine.
 */
export function refuse(io: CliIO, json: boolean | undefined, code: string, message: string, extra: Record<string, unknown> = {}): number {
  if (json) writeJson(io, { success: false, error_code: code, message, ...extra });
  else writeLine(io, `REFUSED ${code}: ${message}`);
  return 1;
}
