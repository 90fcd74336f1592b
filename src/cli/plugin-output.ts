/**
 * What the commands that fetch something of one plugin from a running host's monitor and write
 * it to a file share (`steward heap`, `steward profile`): reading `<plugin> --monitor-url <url>
 * --out <dir>`, checking the `--out` folder before anything is asked of the monitor, naming the
 * file `<plugin>-<timestamp>.<ext>`, and the usage error that names the file and the folder when it
 * cannot be created.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import {
  type CommandIO,
  onePositional,
  type Parsed,
  parseCommandArgs,
  requiredMonitorUrl,
  UsageError,
} from './command.js';
import { type MonitorTarget, monitorTarget } from './monitor-client.js';

/** `--out` as an absolute folder this process can write into, or UsageError naming it (for `steward <command>`). */
export function outputFolder(dir: string, command: string): string {
  const path = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`steward ${command}: --out folder "${path}" does not exist; create it first.`);
  }
  if (!isDir)
    throw new UsageError(`steward ${command}: --out "${path}" is not a folder; name a folder to write into.`);
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new UsageError(
      `steward ${command}: cannot write into the --out folder "${path}"; choose a folder you can write to (or fix its permissions).`,
    );
  }
  return path;
}

/** `2026-12-02T13-45-12-345Z`: sortable and valid in a file name everywhere. */
export function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** A plugin command's arguments: the plugin, its monitor, the checked `--out` folder, the rest. */
export interface PluginOutputArgs<V> {
  readonly plugin: string;
  readonly target: MonitorTarget;
  /** The `--out` folder, absolute, checked writable. */
  readonly out: string;
  /** `<out>/<plugin>-<timestamp>` (the plugin id made safe for a file name, the time now): add the extension. */
  readonly base: () => string;
  readonly values: V;
}

/** Parse `<plugin> --monitor-url <url> [--out <dir>] [--token <t>]` (plus `options`' own) for `command`. */
export function pluginOutputArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: readonly string[],
  options: O,
  io: CommandIO,
  check?: (values: Parsed<O>['values']) => void,
): PluginOutputArgs<Parsed<O>['values']> {
  const args = parseCommandArgs(command, argv, options);
  const values = args.values as Record<string, string | undefined>;
  const plugin = onePositional(command, args.positionals, '<plugin>');
  const url = requiredMonitorUrl(command, values['monitor-url']);
  check?.(args.values);
  const out = outputFolder(values.out ?? '.', command);
  const target = monitorTarget(url, values.token, io.env.STEWARD_MONITOR_TOKEN);
  const base = (): string => join(out, `${plugin.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp(new Date())}`);
  return { plugin, target, out, base, values: args.values };
}

/** The UsageError of a file `command` could not create in its `--out` folder `out`. */
export function cannotWrite(command: string, file: string, out: string, error: unknown): UsageError {
  return new UsageError(
    `steward ${command}: cannot write ${file} into the --out folder "${out}": ${(error as Error).message}`,
  );
}
