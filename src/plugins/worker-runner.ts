/**
 * The host's side of a worker plugin: starts the plugin's thread with a hard heap limit,
 * mirrors its resources into a host component (so snapshots, statistics and events show them
 * like any other), bridges services both ways through async proxies, and terminates the thread
 * on unload whatever the plugin does — an infinite loop included.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type AbandonedDisposal,
  type Component,
  type DisposalFailure,
  type ServiceRegistration,
  type ServiceRegistry,
  StewardError,
  type TrackedResource,
  tokenFor,
} from '../core/index.js';
import type { LogSink } from './logger.js';
import type { PluginManifest } from './manifest.js';
import { ChannelClosedError, callService, deserializeError, RpcEndpoint, remoteService } from './rpc.js';
import {
  type DeactivateAnswer,
  type HeapFigures,
  LIFECYCLE,
  type ResourceChange,
  type WorkerBoot,
  type WorkerDisposalProblem,
  type WorkerEvent,
} from './worker-protocol.js';

/** The worker's own cleanup outcome, as `deactivate()` resolves it. */
export interface WorkerCleanupReport {
  readonly released: number;
  readonly failed: DisposalFailure[];
  readonly abandoned: AbandonedDisposal[];
  readonly deadlineExceeded: boolean;
}

/** Smallest heap given to a worker: V8 cannot start a useful isolate with less. */
const MIN_HEAP_MB = 16;

/** Where the compiled worker entry is: next to this file when running from dist, else dist/. */
function workerEntry(): string {
  const here = new URL('./worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return fileURLToPath(here);
  const built = new URL('../../dist/plugins/worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  throw new StewardError(
    'Worker isolation needs the compiled worker entry (dist/plugins/worker-entry.js), which is missing. Run `npm run build`.',
  );
}

/** Options of a worker plugin. */
export interface WorkerRunnerOptions {
  readonly manifest: PluginManifest;
  readonly hostVersion: string;
  readonly storageDir: string;
  /** The byte limit of tracked sizes (enforced in the worker) — also sets the heap cap. */
  readonly memoryLimit: { readonly bytes: number; readonly policy: 'warn' | 'reject' | 'evict' } | undefined;
  readonly services: ServiceRegistry;
  readonly log: LogSink;
  /** Called once if the worker dies on its own (uncaught error, out of memory, exit). */
  readonly onCrash: (error: Error) => void;
  /** How often the worker reports heap figures, ms. Default 1000. */
  readonly statsIntervalMs?: number;
  /** Node options of the worker; default: the host's. */
  readonly execArgv?: readonly string[];
}

/** One running worker plugin. */
export class WorkerRunner {
  /** The worker's last reported heap figures. */
  heap: HeapFigures | undefined;
  readonly #options: WorkerRunnerOptions;
  readonly #worker: Worker;
  readonly #rpc: RpcEndpoint;
  readonly #loaded: Promise<number>;
  readonly #mirrors = new Map<number, TrackedResource>();
  readonly #provided = new Map<string, { registration: ServiceRegistration; revoke: (e: Error) => void }>();
  #component: Component | undefined;
  #metadata: Record<string, unknown> | undefined;
  #terminating = false;
  #exited: Promise<void>;
  #crashError: Error | undefined;

  constructor(options: WorkerRunnerOptions) {
    this.#options = options;
    const { manifest, memoryLimit } = options;
    const heapMb = memoryLimit ? Math.max(MIN_HEAP_MB, Math.ceil(memoryLimit.bytes / 2 ** 20)) : undefined;
    const boot: WorkerBoot = {
      manifest,
      hostVersion: options.hostVersion,
      storageDir: options.storageDir,
      memoryLimit,
      statsIntervalMs: options.statsIntervalMs ?? 1000,
    };
    this.#worker = new Worker(workerEntry(), {
      workerData: boot,
      name: `plugin:${manifest.id}`,
      stdout: false,
      stderr: false,
      ...(options.execArgv ? { execArgv: [...options.execArgv] } : {}),
      ...(heapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
    });
    this.#rpc = new RpcEndpoint(
      (message) => this.#worker.postMessage(message),
      (name, member, args) => this.#serve(name, member, args),
    );
    let loaded!: (ms: number) => void;
    let failed!: (error: Error) => void;
    this.#loaded = new Promise<number>((resolve, reject) => {
      loaded = resolve;
      failed = reject;
    });
    this.#loaded.catch(() => undefined);
    this.#worker.on('message', (message: WorkerEvent) => {
      if (this.#rpc.receive(message)) return;
      switch (message.t) {
        case 'loaded':
          return loaded(message.ms);
        case 'load-failed':
          return failed(deserializeError(message.error));
        case 'sync':
          return this.#sync(message);
        case 'log':
          return options.log({
            level: message.level,
            plugin: manifest.id,
            message: message.message,
            args: message.args,
            time: Date.now(),
          });
        case 'provide':
          return this.#provide(message.name);
        case 'withdraw':
          return this.#withdraw(
            message.name,
            new ChannelClosedError(`Service "${message.name}" was withdrawn by plugin "${manifest.id}".`),
          );
      }
    });
    let lastError: Error | undefined;
    this.#worker.on('error', (error) => {
      lastError = error;
    });
    this.#exited = new Promise<void>((resolve) => {
      this.#worker.once('exit', (code) => {
        const reason =
          lastError ??
          new StewardError(
            `The worker of plugin "${manifest.id}" exited with code ${code} without being asked to.`,
          );
        const error = this.#terminating
          ? new ChannelClosedError(`Plugin "${manifest.id}" was unloaded; its worker is gone.`)
          : describeCrash(manifest.id, reason);
        this.#rpc.close(error);
        failed(error);
        for (const name of [...this.#provided.keys()]) this.#withdraw(name, error);
        if (!this.#terminating && this.#crashError === undefined) {
          this.#crashError = error;
          options.onCrash(error);
        }
        resolve();
      });
    });
  }

  /**
   * Why the worker died on its own, once it has (set before `onCrash` is called). An operation
   * that failed because of it (a queued pause or deactivate) should report this, not its own error.
   */
  get crashError(): Error | undefined {
    return this.#crashError;
  }

  /** The worker's thread id. */
  get threadId(): number {
    return this.#worker.threadId;
  }

  /** Resolves with the import time (ms) once the plugin's module is loaded in the worker. */
  loaded(): Promise<number> {
    return this.#loaded;
  }

  /** Activate the plugin in its worker, mirroring into `component`. */
  async activate(component: Component, metadata: Record<string, unknown>): Promise<void> {
    this.#component = component;
    this.#metadata = metadata;
    metadata.threadId = this.#worker.threadId;
    const available = this.#options.services.list().map((s) => s.name);
    await this.#rpc.request(LIFECYCLE, 'activate', [{ available }]);
  }

  /**
   * Ask the plugin to deactivate (release its resources) in its worker. Resolves with what the
   * worker's cleanup did (errors rebuilt), to be merged into the host's report, and the error the
   * plugin's `deactivate` threw, if any (the cleanup ran anyway).
   */
  async deactivate(): Promise<{ cleanup: WorkerCleanupReport | undefined; failure: Error | undefined }> {
    const answer = (await this.#rpc.request(LIFECYCLE, 'deactivate', [])) as DeactivateAnswer;
    const problem = (p: WorkerDisposalProblem) => ({ ...p, error: deserializeError(p.error) });
    const c = answer.cleanup;
    return {
      cleanup: c && {
        released: c.released,
        failed: c.failed.map(problem),
        abandoned: c.abandoned.map(problem),
        deadlineExceeded: c.deadlineExceeded,
      },
      failure: answer.failure && deserializeError(answer.failure),
    };
  }

  /** Call the plugin's pause/resume hook. */
  pauseResume(op: 'pause' | 'resume'): Promise<unknown> {
    return this.#rpc.request(LIFECYCLE, op, []);
  }

  /** Terminate the worker (idempotent) and drop the mirrors. The thread's whole heap is freed. */
  async terminate(): Promise<void> {
    this.#terminating = true;
    await this.#worker.terminate();
    await this.#exited;
    for (const mirror of this.#mirrors.values()) mirror.untrackAndLeak();
    this.#mirrors.clear();
  }

  #sync(message: Extract<WorkerEvent, { t: 'sync' }>): void {
    this.heap = message.heap;
    const component = this.#component;
    if (this.#metadata) {
      this.#metadata.heapUsed = message.heap.used;
      this.#metadata.heapLimit = message.heap.limit;
    }
    if (!component || component.disposed) return;
    for (const change of message.changes) {
      // The worker enforced its own limit already; a host limit refusing a mirror (a global
      // `reject` policy) is logged, never thrown into this message handler (it would crash the host).
      try {
        this.#apply(component, change);
      } catch (error) {
        this.#options.log({
          level: 'warn',
          plugin: this.#options.manifest.id,
          message: `the host could not mirror a worker resource: ${(error as Error).message}`,
          args: [],
          time: Date.now(),
        });
      }
    }
  }

  #apply(component: Component, change: ResourceChange): void {
    if (change[0] === '+') {
      const [, id, type, size, metadata] = change;
      const mirror = component.track(
        { remote: id },
        { type, size, dispose: null, metadata: { ...metadata, workerResource: id } },
      );
      this.#mirrors.set(id, mirror);
    } else if (change[0] === '-') {
      this.#mirrors.get(change[1])?.release();
      this.#mirrors.delete(change[1]);
    } else {
      this.#mirrors.get(change[1])?.resize(change[2]);
    }
  }

  #provide(name: string): void {
    const component = this.#component;
    if (!component || component.disposed) return;
    const { proxy, revoke } = remoteService(name, (member, args) => this.#rpc.request(name, member, args));
    try {
      const registration = this.#options.services.provide(tokenFor(name), proxy, { component });
      this.#provided.set(name, { registration, revoke });
    } catch (error) {
      this.#options.log({
        level: 'error',
        plugin: this.#options.manifest.id,
        message: `cannot provide service "${name}" to the host: ${(error as Error).message}`,
        args: [],
        time: Date.now(),
      });
    }
  }

  #withdraw(name: string, error: Error): void {
    const entry = this.#provided.get(name);
    if (!entry) return;
    this.#provided.delete(name);
    entry.revoke(error);
    entry.registration.dispose();
  }

  /** A request from the worker: a call on a service provided in the host. */
  #serve(name: string, member: string | null, args: unknown[]): unknown {
    return callService(this.#options.services, name, member, args);
  }
}

function describeCrash(id: string, error: Error): Error {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new StewardError(
      `Plugin "${id}" exceeded its memory limit: its worker ran out of heap and was stopped. ` +
        'Raise steward.memoryLimit or reduce what the plugin keeps in memory.',
      { cause: error },
    );
  }
  return new StewardError(`Plugin "${id}" crashed in its worker: ${error.message}`, { cause: error });
}
