/**
 * The inside of a worker plugin: runs in the plugin's own thread and heap. It imports the
 * plugin, gives it the same `ctx` ledger as inline plugins (backed by a ResourceManager of its
 * own), mirrors every tracked resource and the heap figures to the host, and answers the
 * host's lifecycle and service requests. The host terminates the thread after deactivation.
 */

import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { type Component, ResourceManager, ServiceNotFoundError } from '../core/index.js';
import {
  checkServiceDeclared,
  createPluginContext,
  type PluginContext,
  type PluginServices,
} from './context.js';
import { type PluginInstance, pluginFromModule } from './define.js';
import type { LogLevel } from './logger.js';
import { nativeImport } from './native-import.js';
import { callService, RpcEndpoint, remoteService, serializeError } from './rpc.js';
import {
  type ActivateRequest,
  type DeactivateAnswer,
  LIFECYCLE,
  type ResourceChange,
  type WorkerBoot,
  type WorkerEvent,
} from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts runs only as a worker thread started by the plugin host.');
const boot = workerData as WorkerBoot;
const { manifest } = boot;
const send = (event: WorkerEvent): void => port.postMessage(event);

const manager = new ResourceManager();

// ---- mirroring: batched, flushed within 100 ms and before every lifecycle answer -------------
let changes: ResourceChange[] = [];
let flushTimer: NodeJS.Timeout | undefined;
function heap() {
  const h = getHeapStatistics();
  return {
    used: h.used_heap_size,
    total: h.total_heap_size,
    limit: h.heap_size_limit,
    external: h.external_memory,
  };
}
function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  const batch = changes;
  changes = [];
  send({ t: 'sync', changes: batch, heap: heap() });
}
function queue(change: ResourceChange): void {
  changes.push(change);
  flushTimer ??= setTimeout(flush, 100).unref();
}
manager.on('tracked', ({ resource }) =>
  queue(['+', resource.id, resource.type, resource.size, resource.metadata]),
);
manager.on('released', ({ resource }) => queue(['-', resource.id]));
manager.on('resized', ({ resource }) => queue(['~', resource.id, resource.size]));
manager.on('serviceProvided', ({ token }) => send({ t: 'provide', name: token.name }));
manager.on('serviceWithdrawn', ({ token }) => send({ t: 'withdraw', name: token.name }));
setInterval(flush, boot.statsIntervalMs).unref();

// ---- RPC: lifecycle from the host, service calls both ways --------------------------------------
let instance: PluginInstance | undefined;
let component: Component | undefined;
let ctx: PluginContext | undefined;
let controller: AbortController | undefined;

const rpc = new RpcEndpoint(
  (message) => port.postMessage(message),
  async (name, member, args) => {
    if (name === LIFECYCLE) return lifecycle(member ?? '', args);
    return callService(manager.services, name, member, args);
  },
);
port.on('message', (message) => rpc.receive(message));

async function lifecycle(op: string, args: unknown[]): Promise<unknown> {
  if (!instance) throw new Error(`Plugin "${manifest.id}" is not loaded in its worker.`);
  switch (op) {
    case 'activate': {
      const available = new Set((args[0] as ActivateRequest).available);
      component = manager.register(port as object, manifest.id, {
        type: 'plugin',
        ...(boot.memoryLimit ? { memoryLimit: boot.memoryLimit } : {}),
      });
      controller = new AbortController();
      ctx = createPluginContext({
        manifest,
        component,
        controller,
        log: workerLogger(),
        hostVersion: boot.hostVersion,
        storageDir: boot.storageDir,
        services: workerServices(available),
      });
      try {
        await instance.activate(ctx);
        component.setState('active');
      } finally {
        flush();
      }
      return undefined;
    }
    case 'deactivate': {
      controller?.abort(new Error(`Plugin "${manifest.id}" is deactivating.`));
      let failure: unknown;
      try {
        if (ctx) await instance.deactivate(ctx);
      } catch (error) {
        failure = error;
      }
      const report = component ? await component.cleanup({ force: true, reason: 'deactivate' }) : undefined;
      flush();
      const problem = (p: { componentId: string; resourceId: number; type: string; error: unknown }) => ({
        componentId: p.componentId,
        resourceId: p.resourceId,
        type: p.type,
        error: serializeError(p.error),
      });
      // The cleanup is answered even when deactivate() threw: that is when its report matters most.
      const answer: DeactivateAnswer = {
        cleanup: report && {
          released: report.released,
          failed: report.failed.map(problem),
          abandoned: report.abandoned.map(problem),
          deadlineExceeded: report.deadlineExceeded,
        },
        failure: failure === undefined ? undefined : serializeError(failure),
      };
      return answer;
    }
    case 'pause':
    case 'resume':
      if (ctx) await instance[op](ctx);
      component?.setState(op === 'pause' ? 'paused' : 'active');
      return undefined;
    default:
      throw new Error(`Unknown lifecycle request "${op}".`);
  }
}

function workerServices(available: ReadonlySet<string>): PluginServices {
  const remote = new Map<string, unknown>();
  const fromHost = (name: string): unknown => {
    let proxy = remote.get(name);
    if (!proxy) {
      proxy = remoteService(name, (member, args) => rpc.request(name, member, args)).proxy;
      remote.set(name, proxy);
    }
    return proxy;
  };
  return {
    provide(token, value) {
      checkServiceDeclared(manifest, manifest.provides, token, 'provides');
      return manager.services.provide(token, value, { component: component! });
    },
    get(token) {
      checkServiceDeclared(manifest, manifest.requires, token, 'requires');
      const local = manager.services.tryGet(token);
      if (local !== undefined) return local;
      if (!available.has(token.name)) throw new ServiceNotFoundError(token);
      return fromHost(token.name) as never;
    },
    tryGet(token) {
      const local = manager.services.tryGet(token);
      if (local !== undefined) return local;
      return (available.has(token.name) ? fromHost(token.name) : undefined) as never;
    },
  };
}

function workerLogger() {
  const at =
    (level: LogLevel) =>
    (message: string, ...args: unknown[]): void =>
      send({ t: 'log', level, message: String(message), args: args.map((a) => inspect(a, { depth: 4 })) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

// ---- load ---------------------------------------------------------------------------------------
const started = performance.now();
try {
  const namespace = await nativeImport(pathToFileURL(manifest.entry).href);
  instance = pluginFromModule(namespace, manifest.entry);
  send({ t: 'loaded', ms: performance.now() - started });
} catch (error) {
  send({ t: 'load-failed', error: serializeError(error) });
}
