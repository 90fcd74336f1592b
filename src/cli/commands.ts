/**
 * The command table of `steward`. Each command lives in its own module and is listed here.
 */
import type { Command } from './command.js';
import { inspectCommand } from './inspect.js';
import { newCommand } from './new.js';
import { recoverCommand } from './recover.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

/** Every available command, in the order `steward --help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  newCommand,
  inspectCommand,
  validateCommand,
  recoverCommand,
];
