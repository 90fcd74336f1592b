/**
 * The command table of `steward`. Each command lives in its own module and is listed here.
 *
 * Slots for commands that other layers provide (add them here when their modules exist):
 * - `run <plugin dirs…> [--monitor[=port]] [--watch] [--isolation worker]` — needs the plugin
 *   host (src/plugins); it starts a manager, loads the plugins and, with --monitor, startMonitor.
 * - `recover` — needs the runtime's `recover()` (src/node): reclaims what a crashed run left.
 */
import type { Command } from './command.js';
import { inspectCommand } from './inspect.js';
import { validateCommand } from './validate.js';

/** Every available command, in the order `steward --help` lists them. */
export const COMMANDS: readonly Command[] = [
  // run: slot for the plugin host's command (see above).
  inspectCommand,
  validateCommand,
  // recover: slot for the runtime's recovery command (see above).
];
