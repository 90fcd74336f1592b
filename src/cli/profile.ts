/**
 * `steward profile <plugin> --monitor-url <url>`: a CPU profile for N seconds of the thread a
 * plugin of a running host runs on (the host's for an inline plugin, its own worker thread or
 * process otherwise), taken by its monitor (`POST /api/plugins/:id/profile`) and blamed on it. Writes `<plugin>-<timestamp>.cpuprofile` into `--out` (DevTools opens it) and prints the
 * plugin's share of the samples and its hottest function and line. Nothing goes to a temp folder.
 */
import { writeFileSync } from 'node:fs';
import type { PluginProfile } from '../monitor/index.js';
import { type Command, type CommandIO, EXIT, UsageError } from './command.js';
import { postJson } from './monitor-client.js';
import { cannotWrite, pluginOutputArgs } from './plugin-output.js';

const HELP = `Usage: steward profile <plugin> --monitor-url <url> [options]

Take a CPU profile, for a few seconds, of the thread a plugin of a running host
(steward run --monitor) runs on, and blame its samples on the plugin by its files:
the host's thread for an inline plugin, the plugin's own thread or process for a
worker or process plugin. Prints the plugin's share of the busy samples and its
hottest function with file:line, and writes the profile as
<plugin>-<timestamp>.cpuprofile (open it in Chrome DevTools or VS Code).

Options:
  --monitor-url <url>  The URL the monitor printed (http://127.0.0.1:<port>/?token=<token>)
  --seconds <n>        How long to profile, 1 to 60 (default 5)
  --out <dir>          Folder to write the profile into (default: the current folder)
  --token <token>      Token, if the URL has none (or set STEWARD_MONITOR_TOKEN)
  -h, --help           Show this help

The plugin must be active. One profile at a time per thread: a second request, or
a thread whose inspector is open to a debugger, is refused. A process plugin under
Node's permission model cannot be profiled (the model refuses the inspector).

Exit codes: 0 success, 1 the monitor could not be reached or refused, 2 wrong usage.`;

const OPTIONS = {
  'monitor-url': { type: 'string' },
  seconds: { type: 'string' },
  out: { type: 'string' },
  token: { type: 'string' },
} as const;

/** The `profile` command. */
export const profileCommand: Command = {
  name: 'profile',
  summary: "CPU-profile a running plugin's thread and blame the samples on it (writes a .cpuprofile)",
  help: HELP,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    let seconds = 5;
    const { plugin, target, out, base } = pluginOutputArgs('profile', argv, OPTIONS, io, (values) => {
      const raw = values.seconds;
      seconds = raw === undefined ? 5 : Number(raw);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
        throw new UsageError(
          `steward profile: --seconds must be a whole number from 1 to 60 (got "${raw}").`,
        );
      }
    });
    const result = await postJson<PluginProfile>(
      target,
      `/api/plugins/${encodeURIComponent(plugin)}/profile?seconds=${seconds}`,
      seconds * 1000 + 30_000,
    );
    const file = `${base()}.cpuprofile`;
    try {
      writeFileSync(file, JSON.stringify(result.profile), { flag: 'wx' });
    } catch (error) {
      throw cannotWrite('profile', file, out, error);
    }
    const percent = `${(result.share * 100).toFixed(1)} %`;
    const where = result.isolation === undefined ? '' : ` (${result.isolation})`;
    io.stdout(
      `plugin "${result.id}"${where}: ${percent} of ${result.samples} samples in ${(result.durationMs / 1000).toFixed(1)} s\n`,
    );
    const hot = result.hottest;
    io.stdout(
      hot === undefined
        ? 'hottest: (none: the plugin did not run while profiled)\n'
        : `hottest: ${hot.functionName} at ${hot.file}:${hot.line} (${hot.samples} samples)\n`,
    );
    io.stdout(`profile: ${file}\n`);
    return EXIT.ok;
  },
};
