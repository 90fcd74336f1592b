/**
 * `steward recover`: reclaims what a crashed (SIGKILLed) run left behind, from the durable
 * journal: temp files and folders removed, recorded child processes killed (only when their
 * start time proves they are the same processes).
 */
import type { recover } from '../node/index.js';
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js';

const HELP = `Usage: steward recover [options]

Reclaim what crashed Steward hosts left behind: the journals of hosts that are no
longer running are read, their temp files, folders and lock files removed, and their
child processes killed — only when a process's start time proves it is the one that
was started (a reused pid is never killed). Journals of running hosts are left alone.

Options:
  --app <name>      The application name the hosts used (default "default")
  --dir <path>      The journal folder (default: <tmp>/steward-<app>)
  --grace <ms>      Time a process gets between SIGTERM and SIGKILL (default 1000)
  --json            Print the report as JSON
  -h, --help        Show this help

An entry of the folder that cannot be read as a journal (a folder where a journal
should be, a file this user may not read) is reported and left alone; the others are
recovered all the same.

Exit codes: 0 done (also when there was nothing to do), 1 some entries could not be
reclaimed (their journals are kept for another try) or read, 2 wrong usage.`;

const OPTIONS = {
  app: { type: 'string' },
  dir: { type: 'string' },
  grace: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `steward recover`. */
export const recoverCommand: Command = {
  name: 'recover',
  summary: 'Reclaim the temp files and processes a crashed run left behind',
  help: HELP,
  async run(argv, io) {
    const parsed = parseCommandArgs('recover', argv, OPTIONS);
    if (parsed.positionals.length > 0) {
      throw new UsageError(
        `steward recover: unexpected argument "${parsed.positionals[0]}"; see steward recover --help.`,
      );
    }
    const { app, dir, grace, json } = parsed.values;
    const graceMs = grace === undefined ? undefined : Number(grace);
    if (graceMs !== undefined && !(Number.isInteger(graceMs) && graceMs >= 0)) {
      throw new UsageError(`steward recover: --grace must be an integer >= 0 (got "${grace}").`);
    }
    let report: Awaited<ReturnType<typeof recover>>;
    try {
      const { recover } = await import('../node/index.js'); // loaded when used: --help stays fast
      report = await recover({
        ...(app !== undefined ? { app } : {}),
        ...(dir !== undefined ? { dir } : {}),
        ...(graceMs !== undefined ? { graceMs } : {}),
      });
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError || isInvalidArgument(error))
        throw new UsageError(`steward recover: ${error.message}`);
      throw error;
    }
    if (json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout(
        `${report.dir}: ${report.journals} journal(s) of dead hosts recovered, ${report.liveHosts} live host(s) left alone\n`,
      );
      for (const path of report.removed) io.stdout(`  removed ${path}\n`);
      for (const k of report.killed) io.stdout(`  killed pid ${k.pid} (${k.command}) with ${k.signal}\n`);
      for (const s of report.skipped)
        io.stdout(`  skipped ${s.entry.kind} ${JSON.stringify(s.entry)}: ${s.reason}\n`);
      for (const e of report.errors) io.stdout(`  ✗ ${e.journal}: ${e.error}\n`);
      for (const u of report.unreadable) io.stdout(`  ✗ ${u.path} ${u.reason}\n`);
      if (report.journals === 0 && report.unreadable.length === 0) io.stdout('nothing to recover\n');
    }
    return report.errors.length === 0 && report.unreadable.length === 0 ? EXIT.ok : EXIT.failure;
  },
};

/** A bad argument refused by the core (`InvalidArgumentError`, `UnknownOptionError`): a usage error. */
function isInvalidArgument(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'STEWARD_INVALID_ARGUMENT' ||
    code === 'STEWARD_BAD_ARGUMENT' ||
    code === 'STEWARD_UNKNOWN_OPTION'
  );
}
