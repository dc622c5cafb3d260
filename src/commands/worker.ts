import type { Command } from 'commander';
import type { ProgramBuilder } from '../cli/program.js';

/** `redeemctl worker`: filled in by the worker work (issue 3). */
export function registerWorkerCommand(_program: Command, _cli: ProgramBuilder): void {}
