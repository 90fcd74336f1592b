/** Helpers that write real plugin folders into a temporary directory. */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A temporary directory (real path, so symlink-resolved paths compare equal) and its removal. */
export interface TempDir {
  readonly root: string;
  /** Absolute path inside the temp dir. */
  path(...segments: string[]): string;
  /** Writes files (objects are written as JSON), creating folders as needed. */
  write(files: Record<string, string | object>): Promise<void>;
  remove(): Promise<void>;
}

export async function makeTempDir(): Promise<TempDir> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'steward-plugins-')));
  return {
    root,
    path: (...segments) => path.join(root, ...segments),
    async write(files) {
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(root, name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(
          file,
          typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
        );
      }
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** A valid package.json for a plugin; `steward` fields are merged into the steward block. */
export function packageJson(
  id: string,
  steward: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: `${id}-plugin`,
    version: '1.0.0',
    exports: './index.js',
    ...top,
    steward: { id, ...steward },
  };
}

/** Files for a valid package plugin in folder `folder`. */
export function packagePlugin(
  folder: string,
  id: string,
  steward: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Record<string, string | object> {
  return {
    [`${folder}/package.json`]: packageJson(id, steward, top),
    [`${folder}/index.js`]: 'export function activate() {}\n',
  };
}
