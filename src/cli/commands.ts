/**
 * The command table of `steward`. Each command lives in its own module and is listed here;
 * a command imports the library modules it needs when it runs, so `steward --help` and light
 * commands start without loading the plugin host, the monitor or their dependencies.
 */
import { bisectCommand } from './bisect.js';
import type { Command } from './command.js';
import { heapCommand } from './heap.js';
import { inspectCommand } from './inspect.js';
import { newCommand } from './new.js';
import { permissionsCommand } from './permissions.js';
import { profileCommand } from './profile.js';
import { recoverCommand } from './recover.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

/** Every available command, in the order `steward --help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  newCommand,
  inspectCommand,
  profileCommand,
  heapCommand,
  bisectCommand,
  validateCommand,
  permissionsCommand,
  recoverCommand,
];
