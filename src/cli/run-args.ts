/**
 * `steward run`'s arguments: the options it takes, their checks (every wrong value a usage error
 * that names the option and what it takes), and the usage errors of what it meets before any
 * plugin starts — a plugin folder that is not there, a monitor port that cannot be bound, a
 * host option the core refuses — and the hint when no plugin was found.
 */
import { type Parsed, parseCommandArgs, UsageError } from './command.js';

const OPTIONS = {
  monitor: { type: 'string' },
  otel: { type: 'boolean' },
  watch: { type: 'boolean' },
  isolation: { type: 'string' },
  permissions: { type: 'string' },
  'permission-root': { type: 'string', multiple: true },
  'host-version': { type: 'string' },
  attribution: { type: 'boolean' },
  reclaim: { type: 'boolean' },
  deadline: { type: 'string' },
  'verify-unload': { type: 'string' },
  'block-threshold': { type: 'string' },
  'no-health': { type: 'boolean' },
} as const;

/** `steward run`'s arguments, checked. */
export interface RunArgs {
  readonly values: Parsed<typeof OPTIONS>['values'];
  /** The plugin folders (at least one). */
  readonly dirs: string[];
  readonly isolation: 'inline' | 'worker' | 'process' | undefined;
  readonly permissions: 'enforce' | 'audit' | undefined;
  readonly verify: 'always' | 'retained' | 'off';
  /** The monitor's port (0: a free one), undefined without `--monitor`. */
  readonly port: number | undefined;
  readonly deadlineMs: number;
  readonly blockThresholdMs: number;
}

/** Parse and check `steward run`'s `argv`; UsageError for anything wrong. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  // `--monitor` alone means "on a free port".
  const args = argv.map((a) => (a === '--monitor' ? '--monitor=0' : a));
  const { values, positionals: dirs } = parseCommandArgs('run', args, OPTIONS);
  if (dirs.length === 0) {
    throw new UsageError('steward run: give at least one plugin folder, e.g. `steward run plugins/`.');
  }
  const isolation = values.isolation;
  if (
    isolation !== undefined &&
    isolation !== 'inline' &&
    isolation !== 'worker' &&
    isolation !== 'process'
  ) {
    throw new UsageError(
      `steward run: --isolation must be "inline", "worker" or "process" (got "${isolation}").`,
    );
  }
  const permissions = values.permissions;
  if (permissions !== undefined && permissions !== 'enforce' && permissions !== 'audit') {
    throw new UsageError(`steward run: --permissions must be "enforce" or "audit" (got "${permissions}").`);
  }
  if (values.reclaim && !values.attribution) {
    throw new UsageError('steward run: --reclaim needs --attribution.');
  }
  const verify = values['verify-unload'] ?? 'always';
  if (verify !== 'always' && verify !== 'retained' && verify !== 'off') {
    throw new UsageError(
      `steward run: --verify-unload must be "always", "retained" or "off" (got "${verify}").`,
    );
  }
  const port = number(values.monitor, 'monitor', 0, 65535);
  const deadlineMs = number(values.deadline, 'deadline', 1) ?? 8000;
  const blockThresholdMs = number(values['block-threshold'], 'block-threshold', 1) ?? 3000;
  if (values['no-health'] && values['block-threshold'] !== undefined) {
    throw new UsageError('steward run: --block-threshold needs the health watch; drop --no-health.');
  }
  return { values, dirs, isolation, permissions, verify, port, deadlineMs, blockThresholdMs };
}

/** `--<name>` as an integer in `min…max`, or undefined when not given. */
function number(
  value: string | undefined,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `steward run: --${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`} (got "${value}").`,
    );
  }
  return n;
}

/** Every folder given must exist: a typo is named as such, not reported as "no plugins found". */
export async function checkFolders(dirs: readonly string[]): Promise<void> {
  const { stat } = await import('node:fs/promises');
  for (const dir of dirs) {
    try {
      await stat(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `steward run: plugin folder ${dir} does not exist; check the path (give the folder that contains the plugins).`
          : `steward run: plugin folder ${dir} cannot be read (${code ?? (error as Error).message}); check its permissions.`,
      );
    }
  }
}

/** Why a monitor port cannot be used, as a usage error, or undefined for another failure. */
export function portProblem(error: unknown, port: number): UsageError | undefined {
  const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code;
  const what =
    code === 'EADDRINUSE'
      ? 'is already in use'
      : code === 'EACCES'
        ? 'needs privileges this process does not have'
        : code === 'EADDRNOTAVAIL'
          ? 'cannot be bound on 127.0.0.1'
          : undefined;
  if (what === undefined) return undefined;
  return new UsageError(
    `steward run: --monitor=${port}: port ${port} ${what}; choose another port, or give --monitor alone for a free one.`,
  );
}

/** What to say when no plugin was found in `dirs`, from what discovery passed over. */
export async function noPluginsHint(dirs: readonly string[]): Promise<string> {
  const { discoverPlugins } = await import('../plugins/index.js');
  const { relative } = await import('node:path');
  const { skipped } = await discoverPlugins(dirs).catch(() => ({ skipped: [] }));
  return skipped
    .filter((s) => s.reason.includes('"steward" block'))
    .map(
      (s) =>
        `  ${relative(process.cwd(), s.path) || '.'} has a package.json but no "steward" block: if it is a plugin, ` +
        'add "steward": { "id": "<plugin-id>" } to it (docs/plugins.md); if its plugins are in a subfolder, pass that folder\n',
    )
    .join('');
}

/** A bad argument refused by the core (`InvalidArgumentError`, `UnknownOptionError`): a usage error. */
export function isInvalidArgument(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'STEWARD_INVALID_ARGUMENT' ||
    code === 'STEWARD_BAD_ARGUMENT' ||
    code === 'STEWARD_UNKNOWN_OPTION'
  );
}
