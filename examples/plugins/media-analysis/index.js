// The brief's MediaAnalysisTab, migrated: everything it holds is acquired through `ctx`, so
// unloading the plugin stops a running analysis mid-run (its worker thread is terminated),
// frees every thumbnail, closes its page's server and withdraws its service — with no
// cleanup code here.
//
// Memory: the host applies the manifest's `memoryLimit` (4 MiB) to the plugin with policy
// `reject`, a hard cap. Thumbnails are a cache, so each run keeps them in a child component with
// its own, smaller limit and policy `evict` (least recently used first): the cache shrinks
// before the plugin's hard cap is ever reached, and other plugins keep the host's policy.
//
// Service `media.analysis`: analyse(folder?, options?), cancel(), clear(), status(), results(),
// thumbnails(), thumbnail(file), url.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { tokenFor } from 'steward';
import { definePlugin } from 'steward/plugins';
import { MediaAnalyser } from './analyser.js';
import { createRequestHandler } from './http.js';

/** The service token (one per name per process: consumers use `tokenFor('media.analysis')`). */
export const MEDIA_ANALYSIS = tokenFor('media.analysis');

/** Default memory limit of a run's thumbnails. */
export const DEFAULT_THUMBNAIL_LIMIT_BYTES = 1024 * 1024;

/** The port of the page: MEDIA_ANALYSIS_PORT, else any free port. Always on 127.0.0.1. */
function pagePort() {
  const raw = process.env.MEDIA_ANALYSIS_PORT;
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `media-analysis: MEDIA_ANALYSIS_PORT must be a port number from 0 to 65535 (got "${raw}").`,
    );
  }
  return port;
}

/** Starts the page's server, provides `media.analysis`; everything goes with the plugin. */
export default definePlugin({
  async activate(ctx) {
    const maxLimitBytes = ctx.manifest.memoryLimitBytes ?? Number.MAX_SAFE_INTEGER;
    const analyser = new MediaAnalyser(ctx, {
      defaultFolder: fileURLToPath(new URL('../../assets/photos/', import.meta.url)),
      thumbnailLimitBytes: Math.min(DEFAULT_THUMBNAIL_LIMIT_BYTES, maxLimitBytes),
      maxLimitBytes,
      workerUrl: new URL('./worker.js', import.meta.url),
    });

    let port = pagePort();
    const server = ctx.server(
      createServer(createRequestHandler({ analyser, port: () => port, log: ctx.log })),
    );
    server.listen(port, '127.0.0.1');
    await once(server, 'listening', { signal: ctx.signal });
    port = server.address().port;
    const url = `http://127.0.0.1:${port}/`;

    ctx.services.provide(MEDIA_ANALYSIS, {
      url,
      analyse: (folder, options) => analyser.analyse(folder, options),
      cancel: () => analyser.cancel(),
      clear: () => analyser.clear(),
      status: () => analyser.status(),
      results: () => analyser.results(),
      thumbnails: () => analyser.thumbnails(),
      thumbnail: (file) => analyser.thumbnail(file),
      get workerThreadId() {
        return analyser.workerThreadId;
      },
    });
    ctx.log.info(`page: ${url} (samples: ${analyser.defaultFolder})`);
  },
});
