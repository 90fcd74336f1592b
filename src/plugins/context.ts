/**
 * The plugin context `ctx`: the plugin's resource ledger. Every host API it offers returns
 * something already tracked against the plugin's component, so a plugin written only against
 * `ctx` cannot leak: deactivation releases all of it.
 */
import type { EventEmitter } from 'node:events';
import { type FSWatcher, watch as fsWatch, type WatchOptions } from 'node:fs';
import { type FileHandle, mkdir, open as openFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { StewardTypeError } from '../core/errors.js';
import type {
  CleanupCallbackOptions,
  CleanupRegistration,
  Component,
  ServiceRegistration,
  ServiceToken,
  TaskOptions,
  TrackedResource,
  TrackOptions,
} from '../core/index.js';
import { StewardError } from '../core/index.js';
import { safeClearInterval, safeClearTimeout, safeSetInterval, safeSetTimeout } from '../core/intrinsics.js';
import { type ChildGuard, type PluginChildren, pluginChildren } from './context-children.js';
import type { PluginLogger } from './logger.js';
import type { PluginManifest } from './manifest.js';

/** Services as seen by a plugin: only what its manifest declares may be provided or required. */
export interface PluginServices {
  /** Provide a service declared in the manifest's `provides`; withdrawn when the plugin deactivates. */
  provide<T>(token: ServiceToken<T>, value: T): ServiceRegistration;
  /** A service declared in `requires` (its provider was activated first). Throws if missing. */
  get<T>(token: ServiceToken<T>): T;
  /** A service, or undefined when nobody provides it (optional services need no declaration). */
  tryGet<T>(token: ServiceToken<T>): T | undefined;
}

/** The plugin's resource ledger. Its child processes (`spawn`, `fork`, `exec`, `execFile`) are in context-children.ts. */
export interface PluginContext extends PluginChildren {
  /** Plugin id. */
  readonly id: string;
  /** The validated manifest. */
  readonly manifest: PluginManifest;
  /** The plugin's component: everything tracked here is released at deactivation. */
  readonly component: Component;
  /** Aborted when the plugin starts deactivating (or its activation times out). */
  readonly signal: AbortSignal;
  /** A logger tagged with the plugin id. */
  readonly log: PluginLogger;
  /** The host's version. */
  readonly hostVersion: string;
  /** Services shared between plugins. */
  readonly services: PluginServices;
  /** A private folder for the plugin's files (created on first call); kept across activations. */
  storage(): Promise<string>;
  /** Track any value (see `Component.track`). */
  track<T>(value: T, options?: TrackOptions<T>): TrackedResource<T>;
  /** Run `fn` at deactivation (see `Component.onCleanup`). */
  onCleanup(fn: () => unknown, options?: CleanupCallbackOptions): CleanupRegistration;
  /**
   * Run `fn(signal)` as tracked async work of the plugin (see `Component.task`): `signal` aborts
   * when the plugin starts deactivating, and deactivation waits for the task (within the
   * disposer timeout) instead of leaving it running. Give `signal` to `fetch`, streams and timers.
   */
  task<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: TaskOptions): Promise<Awaited<T>>;
  /** A timeout, cleared at deactivation; its record goes away when it fires. */
  setTimeout(fn: () => void, ms: number): TrackedResource<NodeJS.Timeout>;
  /** An interval, cleared at deactivation. */
  setInterval(fn: () => void, ms: number): TrackedResource<NodeJS.Timeout>;
  /** Add an event listener (Node EventEmitter or DOM EventTarget), removed at deactivation. */
  listen(
    target: EventEmitter | EventTarget,
    event: string,
    listener: (...args: never[]) => void,
    // Spelled out, not DOM's AddEventListenerOptions: the declarations must compile without lib "dom".
    options?: { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal },
  ): TrackedResource<() => void>;
  /** Start a worker thread, terminated at deactivation. */
  worker(file: string | URL, options?: WorkerOptions): Worker;
  /** Track a server (net/http/https): closed, with its open connections destroyed, at deactivation. */
  server<S extends Server>(server: S): S;
  /** Open a file, closed at deactivation (or when the handle is closed first). */
  open(path: string, flags?: string | number, mode?: number): Promise<FileHandle>;
  /** Watch a file or folder, closed at deactivation. */
  watch(
    path: string,
    options: WatchOptions,
    listener?: (event: string, filename: string | null) => void,
  ): FSWatcher;
}

/** What the host hands to `createPluginContext`. */
export interface ContextInit {
  readonly manifest: PluginManifest;
  readonly component: Component;
  readonly controller: AbortController;
  readonly log: PluginLogger;
  readonly hostVersion: string;
  readonly storageDir: string;
  /** Services implementation; default: the manager's registry with manifest checks. */
  readonly services?: PluginServices;
  /** How child processes are journaled and guarded. Default: this thread's watchdog, no journal. */
  readonly children?: ChildGuard;
}

/** Build the context of one activation. */
export function createPluginContext(init: ContextInit): PluginContext {
  const { manifest, component, controller, log } = init;
  const id = manifest.id;
  const services = component.manager.services;

  const checkDeclared = (
    list: readonly string[],
    token: ServiceToken<unknown>,
    field: 'provides' | 'requires',
  ) => checkServiceDeclared(manifest, list, token, field);

  const untrackOnce =
    <T>(handle: TrackedResource<T>) =>
    () => {
      handle.untrackAndLeak();
    };

  const ctx: PluginContext = {
    id,
    manifest,
    component,
    signal: controller.signal,
    log,
    hostVersion: init.hostVersion,
    services: init.services ?? {
      provide(token, value) {
        checkDeclared(manifest.provides, token, 'provides');
        return services.provide(token, value, { component });
      },
      get(token) {
        checkDeclared(manifest.requires, token, 'requires');
        return services.get(token);
      },
      tryGet: (token) => services.tryGet(token),
    },
    async storage() {
      await mkdir(init.storageDir, { recursive: true });
      return init.storageDir;
    },
    track: (value, options) => component.track(value, options),
    onCleanup: (fn, options) => component.onCleanup(fn, options),
    ...pluginChildren(component, init.children ?? { journal: () => undefined, watchdog: true }),
    // Deactivation aborts ctx.signal before the plugin's deactivate(); cleanup aborts the
    // component's: whichever comes first stops the task.
    task: (fn, options) =>
      component.task(fn, {
        ...options,
        signal: options?.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal,
      }),
    setTimeout(fn, ms) {
      let handle: TrackedResource<NodeJS.Timeout> | undefined;
      const timer = safeSetTimeout(() => {
        handle?.untrackAndLeak();
        fn();
      }, ms);
      handle = component.track(timer, { type: 'timer', dispose: safeClearTimeout, metadata: { ms } });
      return handle;
    },
    setInterval(fn, ms) {
      const timer = safeSetInterval(fn, ms);
      return component.track(timer, {
        type: 'timer',
        dispose: safeClearInterval,
        metadata: { ms, interval: true },
      });
    },

    listen(target, event, listener, options) {
      let off: () => void;
      if (typeof (target as EventTarget).addEventListener === 'function') {
        const t = target as EventTarget;
        t.addEventListener(event, listener as EventListener, options);
        off = () => t.removeEventListener(event, listener as EventListener, options);
      } else if (typeof (target as EventEmitter).on === 'function') {
        const e = target as EventEmitter;
        e.on(event, listener as (...args: unknown[]) => void);
        off = () => e.off(event, listener as (...args: unknown[]) => void);
      } else {
        throw new StewardTypeError(
          `ctx.listen(): target must be an EventEmitter or an EventTarget (event "${event}").`,
        );
      }
      try {
        return component.track(off, { type: 'listener', dispose: (f) => f(), metadata: { event } });
      } catch (error) {
        off();
        throw error;
      }
    },

    worker(file, options) {
      const worker = new Worker(file, options);
      const handle = component.track(worker, {
        type: 'worker',
        dispose: (w) => w.terminate(),
        metadata: { file: String(file), threadId: worker.threadId },
      });
      worker.once('exit', untrackOnce(handle));
      return worker;
    },

    server(server) {
      const sockets = new Set<import('node:net').Socket>();
      const onConnection = (socket: import('node:net').Socket): void => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      };
      server.on('connection', onConnection);
      const handle = component.track(server, {
        type: 'socket',
        metadata: { kind: 'server' },
        dispose: (s) =>
          new Promise<void>((resolve) => {
            s.off('connection', onConnection);
            // Still binding (listen() called, 'listening' not yet emitted): close it the moment it
            // binds, so a server of an unloaded plugin never keeps listening.
            if (!s.listening) {
              s.once('listening', () => s.close());
              return resolve();
            }
            s.close(() => resolve());
            for (const socket of sockets) socket.destroy();
            (s as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
      // A server the plugin closes itself leaves the ledger at once.
      server.once('close', () => {
        server.off('connection', onConnection);
        handle.untrackAndLeak();
      });
      return server;
    },

    async open(path, flags, mode) {
      const file = await openFile(path, flags, mode);
      try {
        const handle = component.track(file, {
          type: 'file_handle',
          dispose: (f) => f.close(),
          metadata: { path },
        });
        (file as unknown as import('node:events').EventEmitter).once('close', untrackOnce(handle));
      } catch (error) {
        await file.close();
        throw error;
      }
      return file;
    },

    watch(path, options, listener) {
      const watcher = listener ? fsWatch(path, options, listener) : fsWatch(path, options);
      try {
        const handle = component.track(watcher, {
          type: 'file_handle',
          dispose: (w) => w.close(),
          metadata: { watch: path },
        });
        watcher.once('close', untrackOnce(handle));
      } catch (error) {
        watcher.close();
        throw error;
      }
      return watcher;
    },
  };
  return ctx;
}

/** Throw unless `token` is declared in the manifest's `provides`/`requires` list. */
export function checkServiceDeclared(
  manifest: PluginManifest,
  list: readonly string[],
  token: ServiceToken<unknown>,
  field: 'provides' | 'requires',
): void {
  if (!list.includes(token.name)) {
    throw new StewardError(
      `Plugin "${manifest.id}" uses service "${token.name}" without declaring it: add "${token.name}" to steward.${field} ` +
        `in ${manifest.manifestPath} so the host can order activation and check providers.`,
      { code: 'STEWARD_PLUGIN_UNDECLARED_SERVICE' },
    );
  }
}
