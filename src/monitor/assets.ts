/**
 * The dashboard's static files (HTML, CSS, JS), shipped in `src/monitor/assets/` and read
 * once at start. No build step: the browser loads them as they are.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StewardError } from '../core/errors.js';

/** A file to serve. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where the assets are: next to this module when run from `src/` (tsx), or in the package's
 * `src/monitor/assets/` when run from `dist/monitor/` (the package ships `src`).
 */
export function assetsDir(): string {
  const candidates = [
    new URL('./assets/', import.meta.url),
    new URL('../../src/monitor/assets/', import.meta.url),
  ];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new StewardError(
    `steward/monitor: the dashboard's files were not found (looked in ${candidates
      .map((u) => fileURLToPath(u))
      .join(' and ')}). Reinstall the package; its "files" must include src/monitor/assets.`,
    { code: 'STEWARD_MONITOR_ASSETS_MISSING' },
  );
}

/** Read every servable file of the assets folder into memory, by file name. */
export async function loadAssets(dir = assetsDir()): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of await readdir(dir)) {
    const contentType = TYPES[extname(name)];
    if (contentType === undefined || !/^[\w.-]+$/.test(name)) continue;
    assets.set(name, { body: await readFile(`${dir}${name}`), contentType });
  }
  return assets;
}
