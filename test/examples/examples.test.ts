/**
 * All the examples together, as `steward run examples/plugins` hosts them: discovered and
 * activated (the leaky one is not among them), used, reloaded, and shut down with nothing left:
 * no component, no tracked byte, no worker thread, no listening page (the web app's included).
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SAMPLES, startExamples } from './examples-host.js';
import type { MediaAnalysis } from './media-types.js';

describe('the examples together', () => {
  it('start, work side by side, reload, and shut down leaving nothing behind', async () => {
    const ex = await startExamples();
    let disposed = false;
    try {
      expect(
        ex.host
          .list()
          .map((p) => [p.id, p.state])
          .sort(),
      ).toEqual([
        ['example', 'active'],
        ['forensic', 'active'],
        ['media-analysis', 'active'],
        ['window', 'active'],
      ]);
      expect(ex.logs.some((l) => /^info \[media-analysis\] page: http:\/\/127\.0\.0\.1:\d+\//.test(l))).toBe(
        true,
      );

      const buffer = ex.service<{ allocate(): unknown; url: string }>('example.buffer');
      const forensic = ex.service<{ status(): { cleanupCalls: number } }>('forensic.evidence');
      let media = ex.service<MediaAnalysis>('media.analysis');
      buffer.allocate();
      const thumbs = SAMPLES.reduce((s, p) => s + p.thumbnailBytes, 0);
      expect((await media.analyse()).thumbnailBytes).toBe(thumbs);
      expect(ex.host.manager.stats().totalBytes).toBe(2 ** 20 + thumbs);

      // A reload of media-analysis frees its run and comes back with a fresh service.
      await ex.host.reload('media-analysis');
      expect(ex.host.manager.stats().totalBytes).toBe(2 ** 20);
      media = ex.service<MediaAnalysis>('media.analysis');
      expect(media.status()).toBeNull();

      // Shut down in the middle of a run.
      let worker: Worker | undefined;
      let exited: Promise<unknown> | undefined;
      let sawFirstFile!: () => void;
      const firstFile = new Promise<void>((resolve) => {
        sawFirstFile = resolve;
      });
      const running = media.analyse(undefined, {
        delayMs: 400,
        onFile: (r) => {
          if (r.index !== 0) return;
          const record = ex.host.manager
            .get('media-analysis')!
            .resources()
            .find((x) => x.type === 'worker');
          worker = record!.value as Worker;
          exited = once(worker, 'exit');
          sawFirstFile();
        },
      });
      await firstFile;
      const urls = [buffer.url, media.url, ex.service<{ url: string }>('window.app').url];
      await ex[Symbol.asyncDispose]();
      disposed = true;
      expect((await running).cancelled).toBe(true);
      expect(await exited).toEqual([1]); // terminated mid-run
      expect(worker!.threadId).toBe(-1);
      expect(ex.host.manager.components()).toEqual([]);
      expect(ex.host.manager.stats()).toMatchObject({ totalBytes: 0, activeResources: 0 });
      expect(forensic.status().cleanupCalls).toBe(1);
      for (const url of urls) await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (!disposed) await ex[Symbol.asyncDispose]();
    }
  });
});
