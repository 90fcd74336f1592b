/**
 * Hot reload: watch plugin folders and reload a plugin when its files change, debounced.
 * Changes under `node_modules` and dot-folders are ignored. A reload that fails is contained
 * by the host (the plugin ends `failed`); the watcher keeps watching, and the next change
 * retries. New plugin folders are not picked up: call `host.discover()` for those.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { PluginManifest } from './manifest.js';

/** Options of `host.watch()`. */
export interface WatchOptions {
  /** Quiet time after the last change before reloading, ms. Default 200. */
  readonly debounceMs?: number;
  /** Called when a reload attempt throws (it normally resolves, the plugin being `failed`). */
  readonly onError?: (id: string, error: unknown) => void;
}

/** A running watcher; dispose it to stop. */
export interface PluginWatcher extends Disposable {
  /** Stop watching. Idempotent. */
  dispose(): void;
  /** Resolves once the watcher is stopped. */
  readonly closed: Promise<void>;
  /** Ids currently watched. */
  readonly watching: readonly string[];
}

/** @internal Used by `PluginHost.watch`. */
export function watchPlugins(
  manifests: () => readonly PluginManifest[],
  reload: (id: string) => Promise<void>,
  options: WatchOptions = {},
): PluginWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const watchers = new Map<string, FSWatcher>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let close!: () => void;
  const closed = new Promise<void>((resolve) => {
    close = resolve;
  });

  const schedule = (id: string): void => {
    if (stopped) return;
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        if (stopped) return;
        reload(id)
          .catch((error: unknown) => options.onError?.(id, error))
          .finally(sync);
      }, debounceMs),
    );
  };

  const relevant = (file: string | null): boolean => {
    if (!file) return true;
    const parts = file.split(/[\\/]/);
    return !parts.some((p) => p === 'node_modules' || (p.startsWith('.') && p.length > 1));
  };

  const sync = (): void => {
    if (stopped) return;
    const current = new Map(manifests().map((m) => [m.id, m]));
    for (const [id, w] of watchers) {
      if (!current.has(id)) {
        w.close();
        watchers.delete(id);
      }
    }
    for (const [id, m] of current) {
      if (watchers.has(id)) continue;
      try {
        const w =
          m.source === 'package'
            ? watch(m.dir, { recursive: true }, (_event, file) => relevant(file) && schedule(id))
            : watch(
                dirname(m.manifestPath),
                (_event, file) => file === basename(m.manifestPath) && schedule(id),
              );
        w.on('error', () => {
          w.close();
          watchers.delete(id);
        });
        w.unref();
        watchers.set(id, w);
      } catch (error) {
        options.onError?.(id, error);
      }
    }
  };

  sync();
  const dispose = (): void => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers.values()) clearTimeout(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
    close();
  };
  return {
    dispose,
    [Symbol.dispose]: dispose,
    closed,
    get watching() {
      return [...watchers.keys()];
    },
  };
}
