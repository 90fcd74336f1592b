/**
 * `steward bisect --test '<command>' <plugin dirs…>`: find every plugin that makes a test fail,
 * or that causes a leak or health finding. Discovers the plugins as `steward run` does, then runs
 * trials (bisect-trial.ts: a real host of a subset of the plugins, in a child process, the command
 * run while it is up) chosen by the search in plugins/bisect.ts, and prints each culprit with the
 * runs that show it. Exit codes: 0 culprits found, 3 none reproduced, 1 failure, 2 bad input.
 */
import { describeRun, lastLine, report } from './bisect-report.js';
import type { TrialEvidence, TrialPlan } from './bisect-trial.js';
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js';

/** `steward bisect`'s exit code when the search found no culprit it could reproduce. */
export const EXIT_NO_CULPRIT = 3;

const HELP = `Usage: steward bisect <plugin dir…> --test '<command>' [options]
       steward bisect <plugin dir…> --finding leak|health|failed|<kind> [options]

Find every plugin that makes a test fail. Each run starts a host of a subset of the
plugins (dependencies are always enabled with what needs them, --always-on ones are
never disabled), runs the command while the host is up, and stops the host. A run
fails when the command exits non-zero or times out, or (with --finding) when the
host saw a finding of that kind. Runs are chosen by binary search, so every culprit
is found in about log2(plugins) runs each, including one that fails only together
with another plugin (printed as "only with …").

The command runs in a shell in the current folder with:
  STEWARD_MONITOR_URL      the host's monitor (http://127.0.0.1:<port>/?token=…)
  STEWARD_BISECT_ENABLED   the plugins enabled in this run, comma-separated
  STEWARD_BISECT_DISABLED  the plugins disabled in this run
  STEWARD_BISECT_RUN       the run's number (1, 2, …)

Options:
  --test <command>          Shell command run against each trial host; exit 0 means "good"
  --finding <kinds>         Also fail a run on a finding: leak (any leak kind, with handle
                            attribution and unload verification on), health (loop-blocked,
                            budget-exceeded, unresponsive), failed (a plugin failed), or a
                            kind such as untracked-handle; comma-separated
  --always-on <ids>         Plugins never disabled (with their dependencies), comma-separated
  --timeout <ms>            Longest a command may run; a timed-out run fails (default 60000)
  --duration <ms>           Without --test: how long each host stays up (default 2000)
  --block-threshold <ms>    With --finding health: a blocked loop counts after (default 3000)
  --isolation <mode>        Run every plugin "inline", in a "worker" or in a "process"
  --permissions <mode>      "enforce" (default) or "audit", as for steward run
  --host-version <version>  The application version checked against manifests' host ranges
  --deadline <ms>           Time each host gets to shut down (default 8000)
  -h, --help                Show this help

Exit codes: 0 culprits found, 3 no culprit reproduced (a flaky test?), 1 a host could
not be run, 2 wrong usage or nothing to bisect (no plugins, an unknown --always-on
id, a test that passes with every plugin, or fails with none); 130 / 143 after Ctrl-C /
SIGTERM (the running command and host are ended first).`;

const OPTIONS = {
  test: { type: 'string' },
  finding: { type: 'string' },
  'always-on': { type: 'string' },
  timeout: { type: 'string' },
  duration: { type: 'string' },
  'block-threshold': { type: 'string' },
  isolation: { type: 'string' },
  permissions: { type: 'string' },
  'host-version': { type: 'string' },
  deadline: { type: 'string' },
} as const;

const HEALTH_KINDS = ['loop-blocked', 'budget-exceeded', 'unresponsive'];
const LEAK_KINDS = [
  'owner-collected',
  'use-after-cleanup',
  'long-lived',
  'untracked-handle',
  'retained-after-unload',
  'disposed-but-reachable',
];
const FINDING_WORDS = ['leak', 'health', 'failed', 'failure', ...HEALTH_KINDS, ...LEAK_KINDS];

/** Nothing to bisect (no plugins, an unknown always-on id, a baseline that does not hold): exit 2. */
function inputError(message: string): UsageError {
  return new UsageError(message, { code: 'STEWARD_BISECT_INPUT' });
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`steward bisect: --${name} must be an integer >= 1 (got "${value}").`);
  }
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new UsageError(
    `steward bisect: --${name} must be ${allowed.map((a) => `"${a}"`).join(' or ')} (got "${value}").`,
  );
}

/** `steward bisect`. */
export const bisectCommand: Command = {
  name: 'bisect',
  summary: 'Find every plugin that makes a test fail, or leaks, or is unhealthy (runs real hosts of subsets)',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: dirs } = parseCommandArgs('bisect', argv, OPTIONS);
    if (dirs.length === 0) {
      throw new UsageError(
        "steward bisect: give at least one plugin folder, e.g. `steward bisect plugins/ --test 'npm test'`.",
      );
    }
    const findings = list(values.finding);
    if (values.test === undefined && findings.length === 0) {
      throw new UsageError(
        "steward bisect: say what fails: --test '<command>' (a non-zero exit fails), --finding leak|health|failed, or both.",
      );
    }
    if (values.test !== undefined && values.test.trim() === '') {
      throw new UsageError('steward bisect: --test needs a command, e.g. --test "npm test".');
    }
    for (const f of findings) {
      if (!FINDING_WORDS.includes(f)) {
        throw new UsageError(
          `steward bisect: --finding "${f}" is not a finding; use one of ${FINDING_WORDS.join(', ')}.`,
        );
      }
    }
    const isolation = oneOf(values.isolation, 'isolation', ['inline', 'worker', 'process'] as const);
    const permissions = oneOf(values.permissions, 'permissions', ['enforce', 'audit'] as const);
    const wantsLeaks = findings.some((f) => f === 'leak' || LEAK_KINDS.includes(f));
    const wantsHealth = findings.some((f) => f === 'health' || HEALTH_KINDS.includes(f));
    if (values['block-threshold'] !== undefined && !wantsHealth) {
      throw new UsageError('steward bisect: --block-threshold needs --finding health (or loop-blocked).');
    }
    const timeoutMs = integer(values.timeout, 'timeout', 60_000);
    const durationMs = integer(values.duration, 'duration', 2000);
    const deadlineMs = integer(values.deadline, 'deadline', 8000);
    const blockThresholdMs = integer(values['block-threshold'], 'block-threshold', 3000);
    const [{ discoverPlugins, resolvePluginGraph }, { bisectPlugins }, { runTrial, killTrials }, { stat }] =
      await Promise.all([
        import('../plugins/index.js'),
        import('../plugins/bisect.js'),
        import('./bisect-trial.js'),
        import('node:fs/promises'),
      ]);
    for (const dir of dirs) {
      await stat(dir).catch(() => {
        throw new UsageError(`steward bisect: plugin folder ${dir} does not exist; check the path.`);
      });
    }
    const found = await discoverPlugins(dirs);
    for (const error of found.errors) io.stderr(`  ✗ ${error.message} (not bisected)\n`);
    const graph = resolvePluginGraph(
      found.plugins,
      values['host-version'] ? { hostVersion: values['host-version'] } : {},
    );
    for (const error of graph.errors) io.stderr(`  • ${error.message} (not bisected)\n`);
    const ids = [...graph.order];
    if (ids.length === 0) {
      throw inputError(
        found.plugins.length + found.errors.length === 0
          ? `steward bisect: no plugins found in ${dirs.join(', ')}; give the folder that contains the plugins.`
          : `steward bisect: no plugin in ${dirs.join(', ')} can be started (above); fix them and run again.`,
      );
    }
    const alwaysOn = list(values['always-on']);
    for (const id of alwaysOn) {
      if (!ids.includes(id)) {
        throw inputError(
          `steward bisect: --always-on "${id}" is not a plugin that can be started here; the plugins are ${ids.join(', ')}.`,
        );
      }
    }
    const plugins = ids.map((id) => {
      const m = graph.manifests.get(id)!;
      return { id, dependencies: Object.keys(m.dependencies).filter((d) => ids.includes(d)) };
    });
    const plan: TrialPlan = {
      host: {
        dirs,
        ...(isolation ? { isolation } : {}),
        ...(permissions ? { permissions } : {}),
        ...(values['host-version'] ? { hostVersion: values['host-version'] } : {}),
        leaks: wantsLeaks,
        ...(wantsHealth ? { blockThresholdMs } : {}),
        deadlineMs,
      },
      all: ids,
      command: values.test,
      timeoutMs,
      durationMs,
      findings: findings.map((f) => (f === 'failed' ? 'failure' : f)),
      cwd: process.cwd(),
      env: io.env,
    };
    io.stderr(`steward bisect: ${ids.length} plugin(s) from ${dirs.join(', ')}\n`);
    let runs = 0;
    // Interrupted: end the running command's group and trial host, then exit as a signal would.
    const interrupted = (signal: NodeJS.Signals) => () => {
      killTrials();
      io.stderr(`\nsteward bisect: interrupted (${signal}) after ${runs} run(s); nothing is left running.\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    const onInt = interrupted('SIGINT');
    const onTerm = interrupted('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const result = await bisectPlugins<TrialEvidence>({
      plugins,
      alwaysOn,
      test: async (enabled) => {
        const { failed, ...evidence } = await runTrial(plan, enabled, ++runs);
        return { failed, evidence };
      },
      onTrial: (t) => {
        const problems = t.evidence.problems.length > 0 ? ` [${t.evidence.problems.join('; ')}]` : '';
        io.stderr(
          `  run ${t.run}: ${t.enabled.length} of ${ids.length} enabled → ${t.failed ? `fails (${describeRun(t)})` : 'passes'}${problems}\n`,
        );
      },
    }).finally(() => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    });
    if (result.verdict === 'passes-with-all') {
      throw inputError(
        `steward bisect: the test passes with every plugin enabled (run 1), so there is nothing to bisect. ` +
          'Check that it fails against `steward run` of these folders, and that it exits non-zero when it fails' +
          `${findings.length > 0 ? ` (or that the ${findings.join(', ')} finding occurs within --duration)` : ''}.`,
      );
    }
    if (result.verdict === 'fails-without-plugins') {
      const t = result.trials.at(-1)!;
      const line = lastLine(t.evidence.output);
      throw inputError(
        `steward bisect: the test fails with every plugin disabled${result.alwaysOn.length > 0 ? ` but the always-on ${result.alwaysOn.join(', ')}` : ''} ` +
          `(run ${t.run}: ${describeRun(t)}${line ? `; last output: ${line}` : ''}), so the fault is not in the plugins. ` +
          `${t.evidence.exitCode === 127 ? 'The command was not found: check its spelling and PATH. ' : ''}` +
          'Run the command by hand to see why; if it needs some plugins to pass, name them with --always-on.',
      );
    }
    report(result, io, ids.length - result.alwaysOn.length);
    if (result.verdict === 'none') {
      io.stderr(
        'steward bisect: the test failed with every plugin enabled but no culprit reproduced; it may be flaky (run it a few times by hand).\n',
      );
      return EXIT_NO_CULPRIT;
    }
    return EXIT.ok;
  },
};
