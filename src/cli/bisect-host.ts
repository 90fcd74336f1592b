/**
 * One trial host of `steward bisect`, in a child process of its own (forked by bisect-trial.ts):
 * hosts exactly the enabled plugins (found in the folders as `steward run` finds them), serves the
 * monitor on a free loopback port, says `ready` with its URL, and on `stop` unloads every plugin,
 * verifies the unloads, disposes the host and reports the findings seen: leaks (`leakDetected`),
 * health (`loopBlocked` blamed on a plugin, `budgetExceeded`, `unresponsive`) and plugin failures.
 * A fresh process per trial: a plugin that leaks, blocks or crashes cannot spoil the next trial.
 */
import type { LeakEvent } from '../core/index.js';
import type { PluginHostOptions } from '../plugins/index.js';

/** What a trial host is told to host (argv[2], JSON). */
export interface TrialHostConfig {
  readonly dirs: readonly string[];
  readonly enabled: readonly string[];
  readonly isolation?: 'inline' | 'worker' | 'process';
  readonly permissions?: 'enforce' | 'audit';
  readonly hostVersion?: string;
  /** Turn on handle attribution and unload verification (the `leak` findings). */
  readonly leaks: boolean;
  /** Turn on the health watch with this block threshold, ms (the `health` findings). */
  readonly blockThresholdMs?: number;
  /** The shutdown's deadline, ms. */
  readonly deadlineMs: number;
}

/** Something a trial host saw, attributed to a plugin when it could be. */
export interface TrialFinding {
  /** A leak kind (`untracked-handle`, `retained-after-unload`…), `loop-blocked`, `budget-exceeded`, `unresponsive` or `failed`. */
  readonly kind: string;
  readonly group: 'leak' | 'health' | 'failure';
  readonly plugin: string | undefined;
  readonly message: string;
}

/** Messages of a trial host to `steward bisect`. */
export type TrialHostMessage =
  | { readonly type: 'ready'; readonly url: string; readonly active: string[]; readonly problems: string[] }
  | { readonly type: 'done'; readonly findings: TrialFinding[] }
  | { readonly type: 'error'; readonly message: string };

const send = (message: TrialHostMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

async function main(config: TrialHostConfig): Promise<void> {
  const [{ ResourceManager }, { pluginHostControl }, { startMonitor }, plugins] = await Promise.all([
    import('../core/index.js'),
    import('../monitor/host-control.js'),
    import('../monitor/index.js'),
    import('../plugins/index.js'),
  ]);
  const findings: TrialFinding[] = [];
  const enabled = new Set(config.enabled);
  const manager = new ResourceManager({ leakTracking: config.leaks });
  const options = {
    manager,
    ...(config.isolation ? { isolation: config.isolation } : {}),
    ...(config.permissions ? { permissions: config.permissions } : {}),
    ...(config.hostVersion ? { hostVersion: config.hostVersion } : {}),
    ...(config.leaks ? { attribution: { reclaim: true, captureStacks: true } } : {}),
    verifyUnload: config.leaks ? { snapshot: 'always' } : false,
    ...(config.blockThresholdMs ? { health: { blockThresholdMs: config.blockThresholdMs } } : {}),
    log: () => {},
  } satisfies PluginHostOptions;
  const host = new plugins.PluginHost(options);
  /** The enabled plugin a leak belongs to: forensics' owner, else its component or an ancestor. */
  const ownerOf = (leak: LeakEvent): string | undefined => {
    if (leak.plugin) return leak.plugin;
    for (let c: LeakEvent['component'] | undefined = leak.component; c; c = c.parent) {
      if (c.type === 'plugin' && enabled.has(c.id)) return c.id; // a plugin's component has its id
    }
    return undefined;
  };
  manager.on('leakDetected', (leak) =>
    findings.push({ kind: leak.kind, group: 'leak', plugin: ownerOf(leak), message: leak.message }),
  );
  host.on('loopBlocked', (f) => {
    if (f.id === undefined) return;
    const at = f.hottest
      ? ` (hottest: ${f.hottest.functionName} at ${f.hottest.file}:${f.hottest.line})`
      : '';
    findings.push({
      kind: 'loop-blocked',
      group: 'health',
      plugin: f.id,
      message: `blocked the event loop ${Math.round(f.blockedMs)} ms, ${(f.share * 100).toFixed(0)} % of the samples${at}`,
    });
  });
  host.on('budgetExceeded', (b) =>
    findings.push({
      kind: 'budget-exceeded',
      group: 'health',
      plugin: b.id,
      message: `over its ${b.metric} budget (${b.value} > ${b.limit}) ${b.breaches} time(s) in a row`,
    }),
  );
  host.on('unresponsive', ({ id, silentMs }) =>
    findings.push({
      kind: 'unresponsive',
      group: 'health',
      plugin: id,
      message: `silent for ${silentMs} ms`,
    }),
  );
  host.on('failed', ({ id, phase, error }) =>
    findings.push({
      kind: 'failed',
      group: 'failure',
      plugin: id,
      message: `failed (${phase}): ${error instanceof Error ? error.message : String(error)}`,
    }),
  );

  const found = await plugins.discoverPlugins(config.dirs);
  for (const manifest of found.plugins) {
    if (!enabled.has(manifest.id)) continue;
    await host.add(manifest.source === 'module' ? manifest.manifestPath : manifest.dir);
  }
  const summary = await host.start();
  const monitor = await startMonitor(manager, { port: 0, plugins: pluginHostControl(host) });
  const problems = [
    ...summary.failed.map((id) => `${id} failed: ${host.get(id)?.error ?? 'unknown error'}`),
    ...summary.blocked.map((id) => `${id} blocked: needs ${host.get(id)?.blockedBy ?? '?'}`),
  ];
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (m) => {
      if ((m as { type?: string }).type === 'stop') resolve();
    });
    process.once('disconnect', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await send({ type: 'ready', url: monitor.url, active: summary.active, problems });
  // Stay up until told to stop (the IPC channel keeps the process alive).
  await stopped;
  await monitor.close();
  // Unload dependents first, so each plugin's teardown is checked (attribution, unload verification).
  for (const id of [...host.graph().order].reverse()) {
    const state = host.get(id)?.state;
    if (state === 'active' || state === 'paused') await host.unload(id).catch(() => undefined);
  }
  await host.verifyUnloads();
  await host.dispose({ deadlineMs: config.deadlineMs });
  await manager.dispose({ force: true, deadlineMs: config.deadlineMs });
  await send({ type: 'done', findings });
}

const raw = process.argv[2];
if (raw !== undefined) {
  main(JSON.parse(raw) as TrialHostConfig).then(
    // Exit now: a timer a plugin leaked (not reclaimed without attribution) must not keep it up.
    () => process.exit(0),
    async (error: unknown) => {
      await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
}
