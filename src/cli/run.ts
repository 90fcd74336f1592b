/**
 * `steward run <plugin dirs…>`: a plugin host. Discovers, validates and activates the plugins,
 * shows progress and a status table, serves the monitor, reloads on change with `--watch`,
 * takes keyboard shortcuts in a terminal (shortcuts.ts), logs every reload and unload, and
 * shuts down gracefully on Ctrl-C (or SIGTERM, a crash, or `q`) with a short report.
 */
import type { MonitorServer, Telemetry } from '../monitor/index.js';
import type { PluginHost as Host, PluginHostOptions, PluginInfo, UnloadFinding } from '../plugins/index.js';
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
  --isolation <mode>        Run every plugin "inline" or in a "worker" thread, whatever
                            its manifest says
  --host-version <version>  The application version checked against manifests' host ranges
  --attribution             Report handles plugins create without tracking them, at unload
  --reclaim                 With --attribution: also close them
  --deadline <ms>           Time the shutdown gets before exiting anyway (default 8000)
  --verify-unload <mode>    After each unload or reload of an inline plugin, check nothing of
                            it is still reachable and print what is, with its retainer path:
                            "always" (default; a heap snapshot per batch of unloads),
                            "retained" (a snapshot only when ctx survived), "off"
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
  'host-version': { type: 'string' },
  attribution: { type: 'boolean' },
  reclaim: { type: 'boolean' },
  deadline: { type: 'string' },
  'verify-unload': { type: 'string' },
} as const;

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

/** Live progress lines from the host's events. */
function progress(host: Host, io: CommandIO): void {
  host.on('activated', ({ id, ms }) => io.stderr(`  ✓ ${id} active (${ms.toFixed(1)} ms)\n`));
  host.on('failed', ({ id, phase, error }) =>
    io.stderr(`  ✗ ${id} failed (${phase}): ${error instanceof Error ? error.message : String(error)}\n`),
  );
  host.on('blocked', ({ id, reason }) => io.stderr(`  • ${id} blocked: ${reason}\n`));
  host.on('reloaded', ({ id, ms, plugins }) =>
    io.stderr(
      `  ↻ reloaded ${id}${plugins.length > 1 ? ` with ${plugins.slice(1).join(', ')}` : ''} (${ms.toFixed(0)} ms)\n`,
    ),
  );
  host.on('unloaded', ({ id }) => io.stderr(`  ○ unloaded ${id}\n`));
  host.on('discoveryError', ({ error }) => io.stderr(`  ✗ ${error.message}\n`));
  host.on('unloadVerified', ({ findings, error }) => {
    for (const f of findings) io.stderr(formatUnloadFinding(f));
    if (error && findings.length === 0) io.stderr(`  ⚠ unload verification: ${error}\n`);
  });
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

function number(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`steward run: --${name} must be an integer >= ${min} (got "${value}").`);
  }
  return n;
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
    if (isolation !== undefined && isolation !== 'inline' && isolation !== 'worker') {
      throw new UsageError(`steward run: --isolation must be "inline" or "worker" (got "${isolation}").`);
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
    const port = number(values.monitor, 'monitor', 0);
    const deadlineMs = number(values.deadline, 'deadline', 1) ?? 8000;
    // Loaded only now: `steward --help` and the other commands do not pay for the host's modules.
    const [
      { ResourceManager },
      { pluginHostControl },
      { startMonitor, startTelemetry },
      { disposeSync, installShutdown },
      { PluginHost },
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
      ...(values['host-version'] ? { hostVersion: values['host-version'] } : {}),
      ...(values.attribution
        ? { attribution: { reclaim: values.reclaim === true, captureStacks: true } }
        : {}),
      verifyUnload: verify === 'off' ? false : { snapshot: verify },
      log: (r) =>
        io.stderr(
          `[${r.plugin}] ${r.level === 'info' ? '' : `${r.level}: `}${r.message}${r.args.length ? ` ${r.args.join(' ')}` : ''}\n`,
        ),
    } satisfies PluginHostOptions;
    let host: Host;
    try {
      host = new PluginHost(hostOptions);
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError)
        throw new UsageError(`steward run: ${error.message}`);
      throw error;
    }
    let monitor: MonitorServer | undefined;
    let telemetry: Telemetry | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let shortcuts: { close(): void } | undefined;
    const totals = { plugins: 0, released: 0, failed: 0, abandoned: 0 };
    host.on('deactivated', ({ report }) => {
      totals.plugins++;
      totals.released += report?.released ?? 0;
      totals.failed += report?.failed.length ?? 0;
      totals.abandoned += report?.abandoned.length ?? 0;
    });
    let leaks = 0;
    manager.on('leakDetected', () => leaks++);

    const shutdown = installShutdown(
      {
        async cleanup(reason) {
          clearInterval(keepAlive);
          shortcuts?.close();
          // The report counts what this shutdown stops, not the reloads and unloads before it.
          Object.assign(totals, { plugins: 0, released: 0, failed: 0, abandoned: 0 });
          io.stderr(`\nstopping (${reason})…\n`);
          const started = performance.now();
          await monitor?.close();
          await host.dispose();
          const report = await manager.dispose({ force: true, reason });
          await telemetry?.shutdown(); // after the host: its deactivation spans are exported too
          io.stderr(
            `stopped ${totals.plugins} plugin(s) in ${(performance.now() - started).toFixed(0)} ms: ` +
              `${totals.released + report.released} resource(s) released, ${totals.failed + report.failed.length} failed, ` +
              `${totals.abandoned + report.abandoned.length} abandoned, ${leaks} leak(s) reported.\n`,
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
    progress(host, io);
    // Before the host is up (nothing served yet): release everything and leave no handler behind.
    const stopEarly = async (): Promise<void> => {
      shutdown.uninstall();
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
      summary = await host.start();
    } catch (error) {
      await stopEarly();
      throw error;
    }
    if (host.list().length === 0) {
      io.stderr('steward run: no plugins found; nothing to host.\n');
      await stopEarly();
      return EXIT.failure;
    }
    io.stdout(`${statusTable(host.list())}\n`);
    io.stdout(
      `${summary.active.length} active, ${summary.failed.length} failed, ${summary.blocked.length} blocked; ` +
        `${manager.activeResources} resources, ${formatBytes(manager.totalBytes)} tracked\n`,
    );
    if (port !== undefined) {
      monitor = await startMonitor(manager, { port, plugins: control });
      io.stdout(`monitor: ${monitor.url}\n`);
    }
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
