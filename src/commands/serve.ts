import type { Command } from 'commander';
import type { ProgramBuilder } from '../cli/program.js';

/** `redeemctl serve` and `redeemctl watch`: filled in by the API work (issue 3). */
export function registerServeCommands(_program: Command, _cli: ProgramBuilder): void {}
