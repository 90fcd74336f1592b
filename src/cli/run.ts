/**
 * `steward run <plugin dirs…>`: a plugin host. Discovers, validates and activates the plugins,
 * shows progress and a status table, serves the monitor, reloads on change with `--watch`,
 * takes keyboard shortcuts in a terminal (shortcuts.ts), logs every reload and unload, and
 * shuts down gracefully on Ctrl-C (or SIGTERM, a crash, or `q`) with a short report.
 */
import { resolve } from 'node:path';
import type { MonitorServer, Telemetry } from '../monitor/index.js';
import type {
  PluginHost as Host,
  LogRecord,
  PluginHostOptions,
  PluginInfo,
  UnloadFinding,
} from '../plugins/index.js';
import { type Command, type CommandIO, EXIT, parseCommandArgs, UsageError } from './command.js';
import { formatBytes, renderTable } from './format.js';
import { SHORTCUTS_HINT, startShortcuts } from './shortcuts.js';

const HELP = `Usage: steward run <plugin dir…> [options]

Host the plugins found in the given folders: discover and validate them, activate them
in dependency order, and keep running until Ctrl-C (SIGINT), SIGTERM or SIGHUP, then
deactivate everything (dependents first) within the deadline and print a short report.

Options:
  --monitor[=<port>]        Serve the monitor (dashboard, JSON API, /metrics) on 127.0.0.1
                            and print its URL; without a port, a free one is chosen
  --otel                    Export metrics and lifecycle spans over OTLP/HTTP to
                            OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318);
                            needs the OpenTelemetry SDK installed (docs/monitor.md)
  --watch                   Reload a plugin when its files change
  --isolation <mode>        Run every plugin "inline", in a "worker" thread or in a
                            "process" of its own, whatever its manifest says
  --permissions <mode>      "enforce" (default) the manifests' permissions, or "audit":
                            refuse nothing and record every access in .steward/audit/
                            (then \`steward permissions <plugin>\` prints the block to declare)
  --permission-root <dir>   A folder manifests' permissions may name absolute paths in
                            (besides the plugin's folder and storage); repeat for more
  --host-version <version>  The application version checked against manifests' host ranges
  --attribution             Report handles plugins create without tracking them, at unload
  --reclaim                 With --attribution: also close them
  --deadline <ms>           Time the shutdown gets before exiting anyway (default 8000)
  --verify-unload <mode>    After each unload or reload of an inline plugin, check nothing of
                            it is still reachable and print what is, with its retainer path:
                            "always" (default; a heap snapshot per batch of unloads),
                            "retained" (a snapshot only when ctx survived), "off"
  --block-threshold <ms>    Say which plugin blocks the event loop once it is stuck this
                            long (default 3000; the watchdog samples it from its own thread)
  --no-health               Do not watch plugins' health (no watchdog thread, no budgets)
  -h, --help                Show this help

In a terminal, type a shortcut and Enter: r reload a plugin, u unload one (both ask
which; \`r <id>\` names it, \`*\` means all), l list, h help, q quit. Every reload and
unload is logged, whoever asked for it (shortcut, monitor, --watch).

Exit codes: 0 after q, 130 after Ctrl-C, 143 after SIGTERM, 1 after a crash or when no
plugin was found, 2 wrong usage.`;

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

/** Where audit mode records accesses, relative to the working folder (`steward permissions` reads it). */
export const AUDIT_DIR = '.steward/audit';

const STATE_MARK: Record<string, string> = { active: '✓', failed: '✗', blocked: '•', paused: '‖' };

function statusTable(plugins: readonly PluginInfo[]): string {
  return renderTable(plugins, [
    { title: '', value: (p) => STATE_MARK[p.state] ?? ' ' },
    { title: 'plugin', value: (p) => p.id },
    { title: 'version', value: (p) => p.version },
    { title: 'state', value: (p) => p.state },
    { title: 'isolation', value: (p) => p.isolation },
    { title: 'resources', value: (p) => String(p.resources), right: true },
    { title: 'memory', value: (p) => formatBytes(p.bytes), right: true },
    {
      title: 'activate',
      value: (p) => (p.activateMs === undefined ? '-' : `${p.activateMs.toFixed(1)} ms`),
      right: true,
    },
    { title: 'problem', value: (p) => p.error ?? (p.blockedBy ? `needs ${p.blockedBy}` : '') },
  ]);
}

/** Live progress lines from the host's events. Resolves `rejected` to the manifests rejected. */
function progress(
  host: Host,
  io: CommandIO,
  where: (id: string, error: unknown) => string,
): { rejected: number } {
  const counts = { rejected: 0 };
  host.on('activated', ({ id, ms }) => io.stderr(`  ✓ ${id} active (${ms.toFixed(1)} ms)\n`));
  host.on('failed', ({ id, phase, error }) =>
    io.stderr(
      `  ✗ ${id} failed (${phase}): ${error instanceof Error ? error.message : String(error)}${where(id, error)}\n`,
    ),
  );
  host.on('blocked', ({ id, reason }) => io.stderr(`  • ${id} blocked: ${reason}\n`));
  host.on('reloaded', ({ id, ms, plugins }) => {
    // The host ends a reload that failed too: say so, never "reloaded".
    const state = host.get(id)?.state;
    if (state !== 'active' && state !== 'paused') {
      io.stderr(
        `  ✗ reload of ${id} failed: it is ${state ?? 'gone'}; fix it and save again, or reload it\n`,
      );
      return;
    }
    io.stderr(
      `  ↻ reloaded ${id}${plugins.length > 1 ? ` with ${plugins.slice(1).join(', ')}` : ''} (${ms.toFixed(0)} ms)\n`,
    );
  });
  host.on('unloaded', ({ id }) => io.stderr(`  ○ unloaded ${id}\n`));
  host.on('discoveryError', ({ error }) => {
    counts.rejected++;
    io.stderr(`  ✗ ${error.message}\n`);
  });
  host.on('unloadVerified', ({ findings, error }) => {
    for (const f of findings) io.stderr(formatUnloadFinding(f));
    if (error && findings.length === 0) io.stderr(`  ⚠ unload verification: ${error}\n`);
  });
  return counts;
}

/** A finding as `steward run` prints it: the message, the path one hop a line, where it was created. */
export function formatUnloadFinding(f: UnloadFinding): string {
  const lines = [`  ⚠ leak (${f.kind}): ${f.message}`];
  if (f.path) lines.push('      retained by:', ...f.path.map((hop) => `        ${hop}`));
  if (f.site && !f.site.includes('\n')) lines.push(`      created at ${f.site}`);
  const stack = f.stack ?? (f.site?.includes('\n') ? f.site : undefined);
  if (stack) {
    const frames = stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l) && !/[/\\](src|dist)[/\\](core|plugins|node)[/\\]/.test(l));
    if (frames.length > 0)
      lines.push('      creation stack:', ...frames.slice(0, 6).map((l) => `        ${l.trim()}`));
  }
  return `${lines.join('\n')}\n`;
}

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
async function checkFolders(dirs: readonly string[]): Promise<void> {
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
function portProblem(error: unknown, port: number): UsageError | undefined {
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
async function noPluginsHint(dirs: readonly string[]): Promise<string> {
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

/** `steward run`. */
export const runCommand: Command = {
  name: 'run',
  summary: 'Host plugins from folders, with the monitor, hot reload and graceful shutdown',
  help: HELP,
  async run(argv, io) {
    // `--monitor` alone means "on a free port".
    const args = argv.map((a) => (a === '--monitor' ? '--monitor=0' : a));
    const parsed = parseCommandArgs('run', args, OPTIONS);
    const { values, positionals: dirs } = parsed;
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
    await checkFolders(dirs);
    // Loaded only now: `steward --help` and the other commands do not pay for the host's modules.
    const [
      { ResourceManager },
      { pluginHostControl },
      { startMonitor, startTelemetry },
      { disposeSync, installShutdown },
      { PluginHost, pluginFrame, formatLogLine },
    ] = await Promise.all([
      import('../core/index.js'),
      import('../monitor/host-control.js'),
      import('../monitor/index.js'),
      import('../node/index.js'),
      import('../plugins/index.js'),
    ]);

    const manager = new ResourceManager({ leakTracking: values.attribution === true });
    const hostOptions = {
      manager,
      dirs,
      ...(isolation ? { isolation } : {}),
      ...(permissions ? { permissions } : {}),
      ...(values['permission-root']
        ? { permissionRoots: values['permission-root'].map((r) => resolve(r)) }
        : {}),
      ...(values['host-version'] ? { hostVersion: values['host-version'] } : {}),
      ...(values.attribution
        ? { attribution: { reclaim: values.reclaim === true, captureStacks: true } }
        : {}),
      verifyUnload: verify === 'off' ? false : { snapshot: verify },
      ...(values['no-health'] ? {} : { health: { blockThresholdMs, reportToStderr: true } }),
      log: (r) => io.stderr(`${formatLogLine(io.verbose === true ? r : withoutStacks(r))}\n`),
    } satisfies PluginHostOptions;
    let host: Host;
    try {
      host = new PluginHost(hostOptions);
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError || isInvalidArgument(error))
        throw new UsageError(`steward run: ${error.message}`);
      throw error;
    }
    let monitor: MonitorServer | undefined;
    let telemetry: Telemetry | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let shortcuts: { close(): void } | undefined;
    const totals = { released: 0, failed: 0, abandoned: 0 };
    host.on('deactivated', ({ report }) => {
      totals.released += report?.released ?? 0;
      totals.failed += report?.failed.length ?? 0;
      totals.abandoned += report?.abandoned.length ?? 0;
    });
    let leaks = 0;
    manager.on('leakDetected', (leak) => {
      leaks++;
      // The host logs the handles it attributes; other findings (an owner collected without
      // cleanup) are printed here, naming whoever registered the component.
      if (leak.kind !== 'untracked-handle') io.stderr(`leak (${leak.kind}): ${leak.message}\n`);
    });
    let abandonedPlugins = 0;
    host.on('failed', ({ error }) => {
      if ((error as { code?: unknown } | undefined)?.code === 'STEWARD_PLUGIN_ABANDONED') abandonedPlugins++;
    });

    const shutdown = installShutdown(
      {
        async cleanup(reason) {
          clearInterval(keepAlive);
          shortcuts?.close();
          // The report counts what this shutdown stops, not the reloads and unloads before it:
          // the plugins running now (each once, however many events its teardown emits).
          Object.assign(totals, { released: 0, failed: 0, abandoned: 0 });
          const running = host
            .list()
            .filter((p) => ['active', 'paused', 'activating', 'deactivating'].includes(p.state)).length;
          io.stderr(`\nstopping (${reason})…\n`);
          const started = performance.now();
          // The plugins share the deadline, less a margin for the report: a plugin that hangs is
          // abandoned at its share, and the others still deactivate (docs/plugins.md).
          const until = started + deadlineMs - Math.min(250, deadlineMs / 10);
          const left = (): number => Math.max(1, until - performance.now());
          await monitor?.close();
          await host.dispose({ deadlineMs: left() });
          const report = await manager.dispose({ force: true, reason, deadlineMs: left() });
          await telemetry?.shutdown(); // after the host: its deactivation spans are exported too
          io.stderr(
            `stopped ${running} plugin(s) in ${(performance.now() - started).toFixed(0)} ms: ` +
              `${totals.released + report.released} resource(s) released, ${totals.failed + report.failed.length} failed, ` +
              `${totals.abandoned + report.abandoned.length} abandoned, ${leaks} leak(s) reported` +
              `${abandonedPlugins > 0 ? `; ${abandonedPlugins} plugin(s) abandoned at the deadline` : ''}.\n`,
          );
        },
        cleanupSync: () => void disposeSync(manager),
        pending: () =>
          host
            .list()
            .filter((p) => p.state === 'deactivating')
            .map((p) => `plugin "${p.id}" is still deactivating`),
      },
      { deadlineMs, log: (line) => io.stderr(`${line}\n`) },
    );

    io.stderr(`steward: hosting plugins from ${dirs.join(', ')}\n`);
    const counts = progress(host, io, (id, error) => {
      const dir = host.get(id)?.dir;
      const at = dir === undefined ? undefined : pluginFrame(error, dir);
      return at === undefined || (error instanceof Error && error.message.includes(at)) ? '' : ` (at ${at})`;
    });
    if (permissions === 'audit') {
      const [{ AuditRecorder }, { join }] = await Promise.all([
        import('../plugins/permission-audit.js'),
        import('node:path'),
      ]);
      const auditDir = join(process.cwd(), AUDIT_DIR);
      const recorder = new AuditRecorder(auditDir);
      host.on('access', ({ id, permission, resource }) => {
        const dir = host.get(id)?.dir ?? process.cwd();
        const storageDir = join(process.cwd(), '.steward', 'storage', id);
        recorder.record(id, { dir, storageDir }, { permission, resource });
      });
      io.stderr(`audit mode: nothing is refused; accesses are recorded in ${auditDir}\n`);
    }
    // Before the host is up (nothing served yet): release everything and leave no handler behind.
    const stopEarly = async (): Promise<void> => {
      shutdown.uninstall();
      await monitor?.close();
      await host.dispose();
      await manager.dispose({ force: true });
      await telemetry?.shutdown();
    };
    // Telemetry starts before the plugins do, so their load and activate spans are exported.
    let control = pluginHostControl(host);
    let summary: Awaited<ReturnType<Host['start']>>;
    try {
      if (values.otel) {
        telemetry = await startTelemetry(manager, { plugins: control, host });
        control = telemetry.control(control);
        io.stderr(`telemetry: OTLP/HTTP to ${telemetry.endpoint}\n`);
      }
      // The monitor's port is taken before any plugin starts: a port in use is a usage error
      // with nothing started, not a host left running without its monitor.
      if (port !== undefined) {
        try {
          monitor = await startMonitor(manager, { port, plugins: control });
        } catch (error) {
          throw portProblem(error, port) ?? error;
        }
      }
      summary = await host.start();
    } catch (error) {
      await stopEarly();
      throw error;
    }
    if (host.list().length === 0) {
      io.stderr(
        counts.rejected > 0
          ? `steward run: no plugin to host: ${counts.rejected} manifest(s) rejected (above); fix them and run again.\n`
          : `steward run: no plugins found in ${dirs.join(', ')}; nothing to host.\n${await noPluginsHint(dirs)}`,
      );
      await stopEarly();
      return EXIT.failure;
    }
    io.stdout(`${statusTable(host.list())}\n`);
    io.stdout(
      `${summary.active.length} active, ${summary.failed.length} failed, ${summary.blocked.length} blocked, ` +
        `${counts.rejected} rejected; ` +
        `${manager.activeResources} resources, ${formatBytes(manager.totalBytes)} tracked\n`,
    );
    if (monitor !== undefined) io.stdout(`monitor: ${monitor.url}\n`);
    if (values.watch) {
      host.watch({ onError: (id, error) => io.stderr(`  ✗ reload of ${id}: ${(error as Error).message}\n`) });
      io.stderr('watching plugin folders for changes\n');
    }
    if (io.stdin?.isTTY) {
      shortcuts = startShortcuts({
        host,
        input: io.stdin,
        log: io.stderr,
        list: () => io.stdout(statusTable(host.list())),
        quit: () => void shutdown.shutdown('quit', EXIT.ok),
      });
      io.stderr(`${SHORTCUTS_HINT}; Ctrl-C also stops\n`);
    } else io.stderr('press Ctrl-C to stop\n');
    // A host runs until it is stopped, even when no plugin holds the event loop open.
    keepAlive = setInterval(() => {}, 2 ** 30);
    await new Promise<never>(() => {});
    return EXIT.ok;
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

const STACK = /\n\s+at /;

/**
 * An error record without the stack traces the host adds to a plugin fault (a string argument
 * holding a stack): `steward run` prints none unless asked (`--verbose`, `DEBUG`), as for its
 * own errors. Warnings keep theirs: a leak's creation stack is what the finding is about. The message says what failed; a plugin's own `ctx.log` arguments are left alone
 * unless they are stack text.
 */
function withoutStacks(r: LogRecord): LogRecord {
  // Errors only: a leak warning's creation stack ("Listener added here: at …") is the finding.
  if (r.level !== 'error' || !r.args.some((a) => typeof a === 'string' && STACK.test(a))) return r;
  return { ...r, args: r.args.filter((a) => !(typeof a === 'string' && STACK.test(a))) };
}
