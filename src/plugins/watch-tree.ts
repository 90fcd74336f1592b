/**
 * A folder tree watched as one directory watcher per folder, not as one recursive watcher.
 *
 * Why: Node's recursive `fs.watch` on Linux (20 and 24) watches the files it found, by inode. An
 * atomic save — write a temp file and rename it over the original, as editors, `sed -i`, vim
 * and git do — replaces the inode, and from then on in-place writes to that file are not seen.
 * A directory watcher reports every change to an entry *by name* (modify, create, rename,
 * delete), whatever inode the name points at, so it survives any kind of save. Folders created
 * (or moved in) later are watched as they appear; folders removed are let go.
 */
import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join, relative } from 'node:path';

/** A watched tree. */
export interface TreeWatcher {
  /** Stop watching every folder. Idempotent. */
  close(): void;
  /** The folders watched now (the root first). */
  readonly folders: readonly string[];
}

/**
 * Watch `root` and its subfolders (except those `skip` names, e.g. `node_modules`). `onChange`
 * gets the changed entry's path relative to `root` (`/`-separated), or null when the platform
 * gave no name. `onError` gets an error of the root's watcher (the tree is closed then); a
 * subfolder whose watcher fails is let go, and watched again if it is seen to change.
 */
export function watchTree(
  root: string,
  skip: (name: string) => boolean,
  onChange: (file: string | null) => void,
  onError: (error: Error) => void,
): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const unwatch = (dir: string): void => {
    for (const [path, watcher] of watchers) {
      if (path === dir || path.startsWith(`${dir}/`) || path.startsWith(`${dir}\\`)) {
        watcher.close();
        watchers.delete(path);
      }
    }
  };

  const isDir = (path: string): boolean => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };

  const add = (dir: string): void => {
    if (closed || watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (closed) return;
        const entry = name ? join(dir, name.toString()) : null;
        if (entry !== null && name && !skip(name.toString())) {
          // A folder that appeared (created, moved in, or a file replaced by a folder).
          if (!watchers.has(entry) && isDir(entry)) add(entry);
          // A watched folder that went away (removed or moved out).
          else if (watchers.has(entry) && !isDir(entry)) unwatch(entry);
        }
        onChange(entry === null ? null : relative(root, entry).split('\\').join('/'));
      });
    } catch (error) {
      if (dir === root) throw error;
      return; // gone between listing and watching: its parent's watcher reports it
    }
    watcher.on('error', (error) => {
      if (dir === root) {
        close();
        onError(error);
      } else unwatch(dir);
    });
    watcher.unref();
    watchers.set(dir, watcher);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory() && !skip(entry.name)) add(join(dir, entry.name));
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };

  add(root);
  return {
    close,
    get folders() {
      return [...watchers.keys()];
    },
  };
}
