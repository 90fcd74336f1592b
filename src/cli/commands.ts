/**
 * The command table of `steward`. Each command lives in its own module and is listed here.
 *
 * Slots for commands that other layers provide (add them here when their modules exist):
 * - `run <plugin dirs…> [--monitor[=port]] [--watch] [--isolation worker]` — needs the plugin
 *   host (src/plugins); it starts a manager, loads the plugins and, with --monitor, startMonitor.
 * - `validate <plugin dir>` — needs the plugin manifest module (src/plugins/manifest.ts).
 * - `recover` — needs the runtime's `recover()` (src/node): reclaims what a crashed run left.
 */
import type { Command } from './command.js';
import { inspectCommand } from './inspect.js';

/** Every available command, in the order `steward --help` lists them. */
export const COMMANDS: readonly Command[] = [
  // run: slot for the plugin host's command (see above).
  inspectCommand,
  // validate: slot for the manifest validator's command (see above).
  // recover: slot for the runtime's recovery command (see above).
];
