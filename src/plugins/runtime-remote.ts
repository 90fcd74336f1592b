/**
 * The host's side of a plugin running out of the host's heap, over any message channel: lifecycle
 * requests as RPC, the plugin's resources mirrored into the host's component of the plugin
 * (remote-mirror.ts), its services bridged both ways through async proxies, its log lines and heap
 * figures. What is at the other end — a worker thread (transport-worker.ts), a child process — is a
 * {@link RuntimeTransport}: it starts the plugin's side, carries messages, reports how it ended,
 * and ends it on unload whatever the plugin is doing.
 */
import type { Readable } from 'node:stream';
import { Emitter, type ServiceRegistration, tokenFor } from '../core/index.js';
import type { CpuProfile } from '../node/profile-blame.js';
import type { LogLevel } from './logger.js';
import type { PluginIsolation } from './manifest.js';
import { deniedAccess } from './permissions.js';
import { ResourceMirror } from './remote-mirror.js';
import {
  type DeactivateAnswer,
  type HeapFigures,
  LIFECYCLE,
  type ProcessFigures,
  type RemoteBoot,
  type RemoteDisposalProblem,
  type RemoteEvent,
} from './remote-protocol.js';
import { ChannelClosedError, callService, deserializeError, RpcEndpoint, remoteService } from './rpc.js';
import type {
  DeactivateOutcome,
  LoopFigures,
  PluginRuntime,
  PluginRuntimeEvents,
  PluginSession,
  RemoteLeftovers,
  RuntimeInit,
  RuntimeStats,
} from './runtime.js';
import { type DiagnosticsTarget, profileRemote, RemoteHeapStreams } from './runtime-diagnostics.js';

/** What a transport reports to its runtime. */
export interface TransportEvents {
  /** A message from the plugin's side. */
  message(message: unknown): void;
  /**
   * The plugin's side is gone (called once). `crash` says why, worded for the user, in case it
   * went on its own; the runtime ignores it when it asked for the end.
   */
  closed(crash: Error): void;
}

/** The channel under a remote runtime, and the thread or process at its other end. */
export interface RuntimeTransport {
  /** Send a message to the plugin's side; throws when it cannot be cloned. */
  send(message: unknown): void;
  /**
   * The event-loop figures of the plugin's thread, read from the host's side (so they stay true
   * while the plugin's thread is stuck), when the transport can read them.
   */
  loop?(): LoopFigures | undefined;
  /**
   * The plugin process's pid, resident memory and CPU time read from the host's side (Linux's
   * `/proc`), fresher than the plugin's own report and true while it is stuck; undefined elsewhere.
   */
  figures?(): ProcessFigures | undefined;
  /** A heap snapshot of the plugin's isolate taken from the host's side (a worker's), when it can. */
  heapSnapshot?(): Promise<Readable>;
  /** Added to the plugin component's metadata at activation (`threadId`, `pid`…). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** End the plugin's side whatever it is doing; resolves once it is gone (after `closed`). Idempotent. */
  end(): Promise<void>;
  /**
   * The plugin's thread or process: what it is, worded for a finding (`worker thread 7`,
   * `process 4242`), and whether it (or, for a process, anything of its tree) still runs. Holds
   * no strong reference to it.
   */
  readonly thread?: RemoteLeftovers['thread'];
}

/** Starts the plugin's side from `boot` and connects to it. */
export type TransportFactory = (
  init: RuntimeInit,
  boot: RemoteBoot,
  events: TransportEvents,
) => RuntimeTransport;

/** A plugin running at the other end of a {@link RuntimeTransport}. */
export class RemoteRuntime implements PluginRuntime {
  readonly isolation: PluginIsolation;
  readonly reusable = false;
  readonly componentLimit = undefined;
  readonly context = undefined;
  readonly events = new Emitter<PluginRuntimeEvents>();
  readonly #init: RuntimeInit;
  readonly #transport: RuntimeTransport;
  readonly #rpc: RpcEndpoint;
  readonly #loaded: Promise<number>;
  readonly #mirror = new ResourceMirror();
  readonly #provided = new Map<string, { registration: ServiceRegistration; revoke: (e: Error) => void }>();
  /** Host-side objects made for the plugin, for unload verification (handed over by takeLeftovers). */
  #made: Array<{ readonly value: object; readonly what: string }> = [];
  #settleLoad!: (outcome: { ms: number } | { error: Error }) => void;
  #session: PluginSession | undefined;
  #heap: HeapFigures | undefined;
  /** When the plugin's side last sent anything (its stats come every `statsIntervalMs`). */
  #heardAt = Date.now();
  #process: ProcessFigures | undefined;
  #ending = false;
  #deactivateStarted = false;
  #crashError: Error | undefined;
  readonly #children: RemoteBoot['children'];
  readonly #heaps = new RemoteHeapStreams();

  constructor(init: RuntimeInit, isolation: PluginIsolation, connect: TransportFactory) {
    this.#init = init;
    this.isolation = isolation;
    this.#loaded = new Promise<number>((resolve, reject) => {
      this.#settleLoad = (outcome) => ('ms' in outcome ? resolve(outcome.ms) : reject(outcome.error));
    });
    this.#loaded.catch(() => undefined);
    this.#rpc = new RpcEndpoint(
      (message) => this.#transport.send(message),
      (name, member, args) => callService(init.services, name, member, args),
    );
    const boot: RemoteBoot = {
      manifest: init.manifest,
      hostVersion: init.hostVersion,
      storageDir: init.storageDir,
      memoryLimit: init.memoryLimit,
      statsIntervalMs: init.statsIntervalMs ?? 1000,
      ...optionalChildren(init),
      permissions: init.permissions,
      permissionMode: init.permissionMode,
      // The process tier is enforced by Node's permission model; audit mode refuses nothing anywhere.
      guardContext: isolation !== 'process' || init.permissionMode === 'audit',
      processFigures: isolation === 'process',
    };
    this.#children = boot.children;
    this.#transport = connect(init, boot, {
      message: (message) => this.#receive(message),
      closed: (crash) => this.#closed(crash),
    });
  }

  get deactivateStarted(): boolean {
    return this.#deactivateStarted;
  }

  get crashError(): Error | undefined {
    return this.#crashError;
  }

  load(): Promise<number> {
    return this.#loaded;
  }

  async activate(session: PluginSession): Promise<void> {
    this.#session = session;
    Object.assign(session.metadata, this.#transport.metadata);
    const available = this.#init.services.list().map((s) => s.name);
    await this.#rpc.request(LIFECYCLE, 'activate', [{ available }]);
  }

  async deactivate(): Promise<DeactivateOutcome> {
    const answer = (await this.#rpc.request(LIFECYCLE, 'deactivate', [])) as DeactivateAnswer;
    const problem = (p: RemoteDisposalProblem) => ({ ...p, error: deserializeError(p.error) });
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

  async pause(): Promise<void> {
    await this.#rpc.request(LIFECYCLE, 'pause', []);
  }

  async resume(): Promise<void> {
    await this.#rpc.request(LIFECYCLE, 'resume', []);
  }

  /** End the plugin's side (its whole heap is freed) and drop the mirrors. Idempotent. */
  async unload(): Promise<void> {
    this.#ending = true;
    await this.#transport.end();
    // A thread ended mid-work (abandoned, crashed) ran no cleanup: its children are still running.
    const children = this.#children;
    if (children !== undefined) {
      const killed = await this.#init.children?.reclaimWorker(children);
      if (killed && killed.length > 0) {
        this.#log(
          'warn',
          `killed ${killed.length} child process(es) its ended worker left running: ${killed.join(', ')}`,
        );
      }
    }
    for (const value of this.#mirror.drop())
      this.#made.push({ value, what: 'a mirror of one of its resources' });
    this.#session = undefined;
  }

  takeLeftovers(): RemoteLeftovers {
    const objects = [...this.#made, { value: this, what: `its ${this.isolation} runtime (host side)` }];
    this.#made = [];
    return { objects, thread: this.#transport.thread };
  }

  stats(): RuntimeStats {
    return {
      heap: this.#heap,
      process: this.#transport.figures?.() ?? this.#process,
      threadId:
        typeof this.#transport.metadata.threadId === 'number' ? this.#transport.metadata.threadId : undefined,
      loop: this.#transport.loop?.(),
      heardAt: this.#heardAt,
    };
  }

  profile(ms: number): Promise<CpuProfile> {
    return profileRemote(this.#target(), ms);
  }

  heapSnapshot(): Promise<Readable> {
    return this.#transport.heapSnapshot?.() ?? this.#heaps.open(this.#target());
  }

  #target(): DiagnosticsTarget {
    return {
      id: this.#init.manifest.id,
      isolation: this.isolation,
      rpc: this.#rpc,
      crashError: () => this.#crashError,
    };
  }

  #receive(raw: unknown): void {
    if (this.#rpc.receive(raw)) return;
    this.#heardAt = Date.now();
    const message = raw as RemoteEvent;
    const id = this.#init.manifest.id;
    switch (message.t) {
      case 'loaded':
        this.#settleLoad({ ms: message.ms });
        break;
      case 'deactivating':
        this.#deactivateStarted = true;
        break;
      case 'load-failed': {
        const error = deserializeError(message.error);
        const denied = deniedAccess(error);
        if (denied) this.events.emit('access', { ...denied, denied: true });
        this.#settleLoad({ error });
        break;
      }
      case 'access':
        this.events.emit('access', {
          permission: message.permission,
          resource: message.resource,
          denied: message.denied,
        });
        break;
      case 'sync':
        this.#sync(message);
        break;
      case 'heap-chunk':
        this.#heaps.chunk(message.id, message.data);
        break;
      case 'log':
        this.#log(message.level, message.message, message.args);
        break;
      case 'provide':
        this.#provide(message.name);
        break;
      case 'withdraw':
        this.#withdraw(
          message.name,
          new ChannelClosedError(`Service "${message.name}" was withdrawn by plugin "${id}".`),
        );
    }
  }

  #closed(crash: Error): void {
    const id = this.#init.manifest.id;
    const error = this.#ending
      ? new ChannelClosedError(`Plugin "${id}" was unloaded; its ${this.isolation} is gone.`)
      : crash;
    this.#rpc.close(error);
    this.#settleLoad({ error });
    for (const name of [...this.#provided.keys()]) this.#withdraw(name, error);
    if (!this.#ending && this.#crashError === undefined) {
      this.#crashError = error;
      this.events.emit('crashed', { error });
    }
  }

  #sync(message: Extract<RemoteEvent, { t: 'sync' }>): void {
    this.#heap = message.heap;
    if (message.process) this.#process = message.process;
    const session = this.#session;
    if (!session) return;
    session.metadata.heapUsed = message.heap.used;
    session.metadata.heapLimit = message.heap.limit;
    if (message.process) {
      session.metadata.rss = message.process.rss;
      session.metadata.cpuMs = Math.round(message.process.cpuMs);
    }
    if (session.component.disposed) return;
    for (const change of message.changes) {
      // The plugin's side enforced its own limit already; a host limit refusing a mirror (a global
      // `reject` policy) is logged, never thrown into this message handler (it would crash the host).
      try {
        this.#mirror.apply(session.component, change);
      } catch (error) {
        this.#log(
          'warn',
          `the host could not mirror a ${this.isolation} resource: ${(error as Error).message}`,
        );
      }
    }
  }

  #provide(name: string): void {
    const component = this.#session?.component;
    if (!component || component.disposed) return;
    const { proxy, revoke } = remoteService(name, (member, args) => this.#rpc.request(name, member, args));
    try {
      const registration = this.#init.services.provide(tokenFor(name), proxy, { component });
      this.#provided.set(name, { registration, revoke });
      this.#made.push({ value: proxy as object, what: `the host's proxy of its service "${name}"` });
    } catch (error) {
      this.#log('error', `cannot provide service "${name}" to the host: ${(error as Error).message}`);
    }
  }

  #withdraw(name: string, error: Error): void {
    const entry = this.#provided.get(name);
    if (!entry) return;
    this.#provided.delete(name);
    entry.revoke(error);
    entry.registration.dispose();
  }

  #log(level: LogLevel, message: string, args: readonly string[] = []): void {
    this.#init.log({ level, plugin: this.#init.manifest.id, message, args, time: Date.now() });
  }
}

/** The boot's `children` field, when the host journals children. */
function optionalChildren(init: RuntimeInit): Pick<RemoteBoot, 'children'> {
  const children = init.children?.forWorker();
  return children === undefined ? {} : { children };
}
