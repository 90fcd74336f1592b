/**
 * Hot reload: watch plugin folders and reload a plugin when its files change, debounced.
 * Changes under `node_modules` and dot-folders are ignored. A reload that fails is contained
 * by the host (the plugin ends `failed`); the watcher keeps watching, and the next change
 * retries. New plugin folders are not picked up: call `host.discover()` for those.
 *
 * Every kind of save is seen, atomic ones included (write-then-rename, `sed -i`, vim's
 * backup-and-rename, `git checkout`): a package plugin's folder is watched one directory watcher
 * per folder (watch-tree.ts), not with Node's recursive watcher, which loses a file on Linux
 * once its inode is replaced.
 */
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import type { PluginManifest } from './manifest.js';
import { watchTree } from './watch-tree.js';

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
  /**
   * Folders currently watched: a package plugin's folder (its subfolders too, except
   * `node_modules` and dot-folders), and once per folder the folder of single-module plugins,
   * however many plugins it holds.
   */
  readonly folders: readonly string[];
}

/** One file-system watcher and the plugins it serves (id → whether a changed file concerns it). */
interface FolderWatch {
  readonly watcher: { close(): void };
  readonly subscribers: Map<string, (file: string | null) => boolean>;
}

/** @internal Used by `PluginHost.watch`. */
export function watchPlugins(
  manifests: () => readonly PluginManifest[],
  reload: (id: string) => Promise<void>,
  options: WatchOptions = {},
): PluginWatcher {
  const debounceMs = options.debounceMs ?? 200;
  /** By folder key (`r:` recursive package folder, `f:` single-module folder). */
  const folders = new Map<string, FolderWatch>();
  /** Plugin id → its folder key. */
  const keys = new Map<string, string>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let close!: () => void;
  const closed = new Promise<void>((resolve) => {
    close = resolve;
  });

  const schedule = (id: string): void => {
    if (stopped) return;
    safeClearTimeout(timers.get(id));
    timers.set(
      id,
      safeSetTimeout(() => {
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

  const unsubscribe = (id: string): void => {
    const key = keys.get(id);
    if (key === undefined) return;
    keys.delete(id);
    const folder = folders.get(key);
    if (folder === undefined) return;
    folder.subscribers.delete(id);
    if (folder.subscribers.size === 0) {
      folder.watcher.close();
      folders.delete(key);
    }
  };

  const subscribe = (m: PluginManifest): void => {
    const recursive = m.source === 'package';
    const path = recursive ? m.dir : dirname(m.manifestPath);
    const key = `${recursive ? 'r' : 'f'}:${path}`;
    const file = basename(m.manifestPath);
    const concerns = recursive ? relevant : (changed: string | null) => changed === file;
    let folder = folders.get(key);
    if (folder === undefined) {
      const subscribers = new Map<string, (file: string | null) => boolean>();
      const notify = (changed: string | null): void => {
        for (const [id, match] of subscribers) if (match(changed)) schedule(id);
      };
      const failed = (error: Error): void => {
        if (folders.get(key)?.watcher === watcher) folders.delete(key);
        for (const id of subscribers.keys()) {
          keys.delete(id); // re-subscribed at the next sync
          options.onError?.(id, error);
        }
      };
      let watcher: { close(): void };
      if (recursive) {
        watcher = watchTree(
          path,
          (name) => name === 'node_modules' || (name.startsWith('.') && name.length > 1),
          notify,
          failed,
        );
      } else {
        const fsWatcher = watch(path, (_event, changed) => notify(changed));
        fsWatcher.on('error', (error) => {
          fsWatcher.close();
          failed(error);
        });
        fsWatcher.unref();
        watcher = fsWatcher;
      }
      folder = { watcher, subscribers };
      folders.set(key, folder);
    }
    folder.subscribers.set(m.id, concerns);
    keys.set(m.id, key);
  };

  const sync = (): void => {
    if (stopped) return;
    const current = new Map(manifests().map((m) => [m.id, m]));
    for (const id of [...keys.keys()]) if (!current.has(id)) unsubscribe(id);
    for (const [id, m] of current) {
      if (keys.has(id)) continue;
      try {
        subscribe(m);
      } catch (error) {
        options.onError?.(id, error);
      }
    }
  };

  sync();
  const dispose = (): void => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers.values()) safeClearTimeout(timer);
    for (const folder of folders.values()) folder.watcher.close();
    folders.clear();
    keys.clear();
    close();
  };
  return {
    dispose,
    [Symbol.dispose]: dispose,
    closed,
    get watching() {
      return [...keys.keys()];
    },
    get folders() {
      return [...folders.keys()].map((key) => key.slice(2));
    },
  };
}
