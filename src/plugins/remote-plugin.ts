/**
 * The plugin's side of a remote runtime: runs in the plugin's own thread and heap
 * (worker-entry.ts) or process (process-entry.ts), over any message channel. It imports the plugin, gives it the same `ctx`
 * ledger as inline plugins (backed by a ResourceManager of its own), mirrors every tracked
 * resource and the heap figures to the host, and answers the host's lifecycle and service
 * requests. The host ends the thread after deactivation.
 */
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import {
  type CleanupReport,
  type Component,
  ResourceManager,
  ServiceNotFoundError,
  StewardError,
} from '../core/index.js';
import { withoutHooks } from './access-hooks.js';
import {
  checkServiceDeclared,
  createPluginContext,
  type PluginContext,
  type PluginServices,
} from './context.js';
import type { ChildGuard } from './context-children.js';
import { type PluginInstance, pluginFromModule } from './define.js';
import { lazyJournal, openChildJournal } from './host-children.js';
import { explainLoadError } from './load-error.js';
import type { LogLevel, PluginLogger } from './logger.js';
import { nativeImport } from './native-import.js';
import { PermissionGuard } from './permission-guard.js';
import type { PermissionAccess } from './permissions.js';
import { serveDiagnostics } from './remote-diagnostics.js';
import {
  type ActivateRequest,
  type DeactivateAnswer,
  DIAGNOSTICS,
  type HeapFigures,
  LIFECYCLE,
  type MessageChannelEnd,
  type ProcessFigures,
  type RemoteBoot,
  type RemoteCleanup,
  type RemoteEvent,
  type ResourceChange,
} from './remote-protocol.js';
import { callService, RpcEndpoint, remoteService, serializeError } from './rpc.js';

/** A served remote plugin. */
export interface RemotePluginHandle {
  /** Stop the side's own timers (heap figures, batching), when its channel closed. */
  stop(): void;
}

/** Tell the host about an access the plugin was refused (or, in audit mode, made). */
export function sendAccess(channel: MessageChannelEnd, access: PermissionAccess, denied: boolean): void {
  const event: RemoteEvent = {
    t: 'access',
    permission: access.permission,
    resource: access.resource,
    denied,
  };
  channel.send(event);
}

/**
 * Serve the plugin described by `boot` over `channel`: import it (answering `loaded` or
 * `load-failed`), then answer lifecycle and service requests until the host ends the thread
 * (or `stop()` is called).
 */
export async function runRemotePlugin(
  boot: RemoteBoot,
  channel: MessageChannelEnd,
): Promise<RemotePluginHandle> {
  const plugin = new RemotePlugin(boot, channel);
  await plugin.load();
  return { stop: () => plugin.stop() };
}

/** Changes are batched and flushed within this many ms, and before every lifecycle answer. */
const FLUSH_MS = 100;

class RemotePlugin {
  readonly #boot: RemoteBoot;
  readonly #channel: MessageChannelEnd;
  readonly #manager = new ResourceManager();
  readonly #rpc: RpcEndpoint;
  #changes: ResourceChange[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #statsTimer: NodeJS.Timeout;
  #stopped = false;
  #instance: PluginInstance | undefined;
  #component: Component | undefined;
  #ctx: PluginContext | undefined;
  #controller: AbortController | undefined;
  #journal: ReturnType<typeof openChildJournal> | undefined;

  constructor(boot: RemoteBoot, channel: MessageChannelEnd) {
    this.#boot = boot;
    this.#channel = channel;
    const manager = this.#manager;
    manager.on('tracked', ({ resource }) =>
      this.#queue(['+', resource.id, resource.type, resource.size, resource.metadata]),
    );
    manager.on('released', ({ resource }) => this.#queue(['-', resource.id]));
    manager.on('resized', ({ resource }) => this.#queue(['~', resource.id, resource.size]));
    manager.on('serviceProvided', ({ token }) => this.#send({ t: 'provide', name: token.name }));
    manager.on('serviceWithdrawn', ({ token }) => this.#send({ t: 'withdraw', name: token.name }));
    this.#statsTimer = setInterval(() => this.#flush(), boot.statsIntervalMs).unref();
    this.#rpc = new RpcEndpoint(
      (message) => channel.send(message),
      async (name, member, args) =>
        name === LIFECYCLE
          ? this.#lifecycle(member ?? '', args)
          : name === DIAGNOSTICS
            ? serveDiagnostics(boot.manifest.id, member, args, channel)
            : callService(manager.services, name, member, args),
    );
    channel.onMessage((message) => this.#rpc.receive(message));
  }

  /** Import the plugin and tell the host how it went. */
  async load(): Promise<void> {
    const { entry } = this.#boot.manifest;
    const started = performance.now();
    try {
      this.#instance = pluginFromModule(await nativeImport(pathToFileURL(entry).href), entry);
      this.#send({ t: 'loaded', ms: performance.now() - started });
    } catch (error) {
      const { dir, source } = this.#boot.manifest;
      const explained = await explainLoadError(error, entry, source === 'package' ? dir : entry);
      this.#send({ t: 'load-failed', error: serializeError(explained) });
    }
  }

  /** Stop the timers; nothing is sent any more. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#statsTimer);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  async #lifecycle(op: string, args: unknown[]): Promise<unknown> {
    const { manifest } = this.#boot;
    const instance = this.#instance;
    if (!instance) {
      throw new StewardError(`Plugin "${manifest.id}" is not loaded in its worker.`, {
        code: 'STEWARD_PLUGIN_NOT_LOADED',
      });
    }
    switch (op) {
      case 'activate':
        return this.#activate(instance, args[0] as ActivateRequest);
      case 'deactivate':
        return this.#deactivate(instance);
      case 'pause':
      case 'resume':
        if (this.#ctx) await instance[op](this.#ctx);
        this.#component?.setState(op === 'pause' ? 'paused' : 'active');
        return undefined;
      default:
        throw new StewardError(`Unknown lifecycle request "${op}".`, { code: 'STEWARD_PROTOCOL' });
    }
  }

  async #activate(instance: PluginInstance, request: ActivateRequest): Promise<void> {
    const boot = this.#boot;
    const component = this.#manager.register(this.#channel, boot.manifest.id, {
      type: 'plugin',
      ...(boot.memoryLimit ? { memoryLimit: boot.memoryLimit } : {}),
    });
    const controller = new AbortController();
    let ctx = createPluginContext({
      manifest: boot.manifest,
      component,
      controller,
      log: this.#logger(),
      hostVersion: boot.hostVersion,
      storageDir: boot.storageDir,
      services: this.#services(new Set(request.available)),
      children: this.#childGuard(),
    });
    if (boot.guardContext) {
      ctx = new PermissionGuard({
        plugin: boot.manifest.id,
        granted: boot.permissions,
        mode: boot.permissionMode,
        storageDir: boot.storageDir,
        report: (access, denied) => sendAccess(this.#channel, access, denied),
      }).wrap(ctx);
    }
    this.#component = component;
    this.#controller = controller;
    this.#ctx = ctx;
    try {
      await instance.activate(ctx);
      component.setState('active');
    } finally {
      this.#flush();
    }
  }

  async #deactivate(instance: PluginInstance): Promise<DeactivateAnswer> {
    const { id } = this.#boot.manifest;
    this.#send({ t: 'deactivating' });
    this.#controller?.abort(
      new StewardError(`Plugin "${id}" is deactivating.`, { code: 'STEWARD_PLUGIN_DEACTIVATING' }),
    );
    let failure: unknown;
    try {
      if (this.#ctx) await instance.deactivate(this.#ctx);
    } catch (error) {
      failure = error;
    }
    const report = this.#component
      ? await this.#component.cleanup({ force: true, reason: 'deactivate' })
      : undefined;
    this.#journal?.close(); // its children are released: the file goes
    this.#flush();
    // The cleanup is answered even when deactivate() threw: that is when its report matters most.
    return {
      cleanup: report && remoteCleanup(report),
      failure: failure === undefined ? undefined : serializeError(failure),
    };
  }

  /**
   * Children of this thread: journaled (the host's watchdog reads the journal if the host dies,
   * the host reads it if it ends this thread), never handed to a watchdog pipe of this thread.
   */
  #childGuard(): ChildGuard {
    const where = this.#boot.children;
    if (where === undefined) return { journal: () => undefined, watchdog: true };
    const journal = lazyJournal(
      () => {
        this.#journal = quietJournal(openChildJournal(where.dir, where.label));
        return this.#journal;
      },
      (message) => this.#send({ t: 'log', level: 'warn', message, args: [] }),
    );
    return { journal, watchdog: false, quiet: withoutHooks };
  }

  /** Services as the plugin sees them: its own side's first, then the host's (as async proxies). */
  #services(available: ReadonlySet<string>): PluginServices {
    const { manifest } = this.#boot;
    const services = this.#manager.services;
    const remote = new Map<string, unknown>();
    const fromHost = (name: string): unknown => {
      let proxy = remote.get(name);
      if (!proxy) {
        proxy = remoteService(name, (member, args) => this.#rpc.request(name, member, args)).proxy;
        remote.set(name, proxy);
      }
      return proxy;
    };
    return {
      provide: (token, value) => {
        checkServiceDeclared(manifest, manifest.provides, token, 'provides');
        return services.provide(token, value, { component: this.#component! });
      },
      get: (token) => {
        checkServiceDeclared(manifest, manifest.requires, token, 'requires');
        const local = services.tryGet(token);
        if (local !== undefined) return local;
        if (!available.has(token.name)) throw new ServiceNotFoundError(token);
        return fromHost(token.name) as never;
      },
      tryGet: (token) => {
        const local = services.tryGet(token);
        if (local !== undefined) return local;
        return (available.has(token.name) ? fromHost(token.name) : undefined) as never;
      },
    };
  }

  /** A logger whose lines go to the host's sink, arguments formatted here (they may not clone). */
  #logger(): PluginLogger {
    const at =
      (level: LogLevel) =>
      (message: string, ...args: unknown[]): void =>
        this.#send({
          t: 'log',
          level,
          message: String(message),
          args: args.map((a) => inspect(a, { depth: 4 })),
        });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  #send(event: RemoteEvent): void {
    this.#channel.send(event);
  }

  #queue(change: ResourceChange): void {
    if (this.#stopped) return;
    this.#changes.push(change);
    this.#flushTimer ??= setTimeout(() => this.#flush(), FLUSH_MS).unref();
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const changes = this.#changes;
    this.#changes = [];
    this.#send({
      t: 'sync',
      changes,
      heap: heap(),
      ...(this.#boot.processFigures ? { process: processFigures() } : {}),
    });
  }
}

function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage();
  return { pid: process.pid, rss: process.memoryUsage.rss(), cpuMs: (cpu.user + cpu.system) / 1000 };
}

function heap(): HeapFigures {
  const h = getHeapStatistics();
  return {
    used: h.used_heap_size,
    total: h.total_heap_size,
    limit: h.heap_size_limit,
    external: h.external_memory,
  };
}

/** A cleanup report as it crosses the channel (errors flattened). */
function remoteCleanup(report: CleanupReport): RemoteCleanup {
  const problem = (p: { componentId: string; resourceId: number; type: string; error: unknown }) => ({
    componentId: p.componentId,
    resourceId: p.resourceId,
    type: p.type,
    error: serializeError(p.error),
  });
  return {
    released: report.released,
    failed: report.failed.map(problem),
    abandoned: report.abandoned.map(problem),
    deadlineExceeded: report.deadlineExceeded,
  };
}

type ChildJournal = ReturnType<typeof openChildJournal>;

/**
 * `journal` with every method run with the audit hooks silent: its writes (also those made when a
 * child exits, or at cleanup) are Steward's bookkeeping, not the plugin's file access.
 */
function quietJournal(journal: ChildJournal): ChildJournal {
  return new Proxy(journal, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        withoutHooks(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
