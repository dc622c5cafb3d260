import type { Command } from 'commander';
import type { ProgramBuilder } from '../cli/program.js';

/** `redeemctl events …` and `redeemctl dlq …`: filled in by the event tools work (issue 3). */
export function registerEventCommands(_program: Command, _cli: ProgramBuilder): void {}
