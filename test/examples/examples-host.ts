/**
 * Hosting the examples in tests: a PluginHost on `examples/plugins` (the real folder, as
 * `steward run examples/plugins` loads it) with a temporary storage folder and captured logs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceToken, tokenFor } from '../../src/core/index.js';
import { PluginHost } from '../../src/plugins/index.js';

/** The examples folder, its plugin folders and the sample photos. */
export const EXAMPLES = join(import.meta.dirname, '../../examples');
export const PLUGINS_DIR = join(EXAMPLES, 'plugins');
export const EXTRA_DIR = join(EXAMPLES, 'plugins-extra');
export const PHOTOS_DIR = join(EXAMPLES, 'assets/photos');

/** What make-samples.mjs wrote for each photo: the ground truth, independent of the EXIF reader. */
export interface SamplePhoto {
  file: string;
  bytes: number;
  make: string;
  model: string;
  taken: string;
  description: string;
  latitude: number | null;
  longitude: number | null;
  thumbnailBytes: number;
}

/** The sample photos' ground truth, in file order. */
export const SAMPLES: SamplePhoto[] = JSON.parse(readFileSync(join(PHOTOS_DIR, 'photos.json'), 'utf8'));

/** A running host of the examples. Dispose it (`await using`) to unload everything and remove the temp folder. */
export interface ExamplesHost extends AsyncDisposable {
  readonly host: PluginHost;
  readonly logs: string[];
  service<T>(name: string): T;
}

/** Host and start the plugins of `dirs` (default: examples/plugins); throws if any fails to start. */
export async function startExamples(dirs: string[] = [PLUGINS_DIR]): Promise<ExamplesHost> {
  const storage = await mkdtemp(join(tmpdir(), 'steward-examples-'));
  const logs: string[] = [];
  const host = new PluginHost({
    dirs,
    storageDir: storage,
    log: (r) => logs.push(`${r.level} [${r.plugin}] ${r.message}`),
  });
  const summary = await host.start();
  if (summary.failed.length > 0 || summary.errors.length > 0) {
    await host.dispose();
    await rm(storage, { recursive: true, force: true });
    throw new Error(`examples did not start: ${JSON.stringify(host.list())}\n${logs.join('\n')}`);
  }
  return {
    host,
    logs,
    service: <T>(name: string) => host.manager.services.get(tokenFor(name) as ServiceToken<T>),
    async [Symbol.asyncDispose]() {
      await host.dispose();
      await rm(storage, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP request (fetch cannot forge Host or Origin headers). */
export function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
