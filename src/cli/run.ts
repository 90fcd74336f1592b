/**
 * `steward run <plugin dirs…>`: a plugin host. Discovers, validates and activates the plugins,
 * shows progress and a status table, serves the monitor, reloads on change with `--watch`,
 * takes keyboard shortcuts in a terminal (shortcuts.ts), logs every reload and unload, and
 * shuts down gracefully on Ctrl-C (or SIGTERM, a crash, or `q`) with a short report. Its
 * arguments are checked in run-args.ts; what it prints is run-output.ts.
 */
import { resolve } from 'node:path';
import type { MonitorServer, Telemetry } from '../monitor/index.js';
import type { PluginHost as Host, PluginHostOptions } from '../plugins/index.js';
import { type Command, EXIT, UsageError } from './command.js';
import { formatBytes } from './format.js';
import { checkFolders, isInvalidArgument, noPluginsHint, parseRunArgs, portProblem } from './run-args.js';
import { progress, statusTable, withoutStacks } from './run-output.js';
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

Exit codes: 0 after q, 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP, 1 after a
crash or when no plugin was found, 2 wrong usage.`;

/** Where audit mode records accesses, relative to the working folder (`steward permissions` reads it). */
export const AUDIT_DIR = '.steward/audit';

export const runCommand: Command = {
  name: 'run',
  summary: 'Host plugins from folders, with the monitor, hot reload and graceful shutdown',
  help: HELP,
  async run(argv, io) {
    const { values, dirs, isolation, permissions, verify, port, deadlineMs, blockThresholdMs } =
      parseRunArgs(argv);
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
