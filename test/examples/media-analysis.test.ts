/**
 * The media-analysis example under the real plugin host: EXIF analysis in a worker thread,
 * thumbnails tracked with their real sizes, LRU eviction under a run's limit, cancellation and
 * unload mid-run (the worker thread is gone, every thumbnail freed), and its page.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MemoryEvent, tokenFor } from '../../src/core/index.js';
import { type ExamplesHost, PHOTOS_DIR, raw, SAMPLES, startExamples } from './examples-host.js';
import type { MediaAnalysis } from './media-types.js';

let ex: ExamplesHost;
let media: MediaAnalysis;

beforeEach(async () => {
  ex = await startExamples();
  media = ex.service<MediaAnalysis>('media.analysis');
});

afterEach(async () => {
  await ex[Symbol.asyncDispose]();
});

const totalThumbnailBytes = SAMPLES.reduce((sum, p) => sum + p.thumbnailBytes, 0);

/** The analysis worker currently in the plugin's ledger (tracked by ctx.worker). */
function ledgerWorker(): Worker | undefined {
  const record = ex.host.manager
    .get('media-analysis')
    ?.resources()
    .find((r) => r.type === 'worker');
  return record?.value as Worker | undefined;
}

/** Least-recently-used model of the run's cache: which files stay, which are evicted. */
function lruModel(limit: number, touch?: { after: number; file: string }) {
  const held: Array<{ file: string; size: number }> = [];
  const evicted: string[] = [];
  SAMPLES.forEach((p, index) => {
    while (held.length > 0 && held.reduce((s, h) => s + h.size, 0) + p.thumbnailBytes > limit) {
      evicted.push(held.shift()!.file);
    }
    held.push({ file: p.file, size: p.thumbnailBytes });
    if (touch?.after === index) {
      const at = held.findIndex((h) => h.file === touch.file);
      held.push(...held.splice(at, 1));
    }
  });
  return { held: held.map((h) => h.file).sort(), evicted };
}

describe('media-analysis: thumbnails counted and sized', () => {
  it('tracks every embedded thumbnail with its real byte size and reads camera, time and GPS', async () => {
    const summary = await media.analyse();
    expect(summary).toMatchObject({
      state: 'done',
      cancelled: false,
      total: SAMPLES.length,
      analysed: SAMPLES.length,
      thumbnails: SAMPLES.length,
      thumbnailBytes: totalThumbnailBytes,
      evicted: 0,
      gpsPoints: SAMPLES.filter((p) => p.latitude !== null).length,
    });

    // The manager sees the same count and bytes: per type, per run component, per plugin.
    const stats = ex.host.manager.stats();
    expect(stats.byType.thumbnail).toMatchObject({ count: SAMPLES.length, bytes: totalThumbnailBytes });
    expect(stats.byComponent['media-analysis/run-1']).toMatchObject({
      ownBytes: totalThumbnailBytes,
      subtreeBytes: totalThumbnailBytes,
    });
    expect(ex.host.get('media-analysis')!.bytes).toBe(totalThumbnailBytes);
    expect(media.thumbnails().map((t) => t.bytes)).toEqual(SAMPLES.map((p) => p.thumbnailBytes));

    for (const [index, photo] of SAMPLES.entries()) {
      // Each thumbnail is exactly the JPEG embedded in the file (found by its bytes, not by EXIF).
      const thumbnail = media.thumbnail(photo.file)!;
      expect(thumbnail.length).toBe(photo.thumbnailBytes);
      expect([thumbnail[0], thumbnail[1], thumbnail.at(-2), thumbnail.at(-1)]).toEqual([
        0xff, 0xd8, 0xff, 0xd9,
      ]);
      const file = await readFile(join(PHOTOS_DIR, photo.file));
      expect(file.indexOf(thumbnail)).toBeGreaterThan(2);

      const result = media.results()[index]!;
      expect(result).toMatchObject({
        index,
        file: photo.file,
        bytes: photo.bytes,
        make: photo.make,
        model: photo.model,
        taken: photo.taken.replace(/^(\d{4}):(\d{2}):(\d{2})/, '$1-$2-$3'),
        description: photo.description,
        width: 64,
        height: 48,
        thumbnailBytes: photo.thumbnailBytes,
        thumbnailHeld: true,
        evicted: false,
        error: null,
      });
      if (photo.latitude === null) {
        expect([result.latitude, result.longitude]).toEqual([null, null]);
      } else {
        expect(result.latitude).toBeCloseTo(photo.latitude, 9);
        expect(result.longitude).toBeCloseTo(photo.longitude!, 9);
      }
    }
  });

  it('a new analysis frees the previous run and its thumbnails', async () => {
    await media.analyse();
    const first = ex.host.manager.get('media-analysis/run-1')!;
    await media.analyse(PHOTOS_DIR, { thumbnailLimitBytes: 100_000 });
    expect(first.state).toBe('destroyed');
    expect(ex.host.manager.stats().byType.thumbnail).toMatchObject({
      count: SAMPLES.length,
      bytes: totalThumbnailBytes,
    });
    expect(media.status()).toMatchObject({ run: 'media-analysis/run-2', limitBytes: 100_000 });
  });
});

describe('media-analysis: eviction under the run limit', () => {
  it('evicts least recently used thumbnails first and stays under the limit', async () => {
    const limit = 2400;
    const events: MemoryEvent[] = [];
    using _sub = ex.host.manager.on('memoryThresholdExceeded', (e) => events.push(e));
    const summary = await media.analyse(undefined, { thumbnailLimitBytes: limit });

    const model = lruModel(limit);
    expect(model.evicted.length).toBeGreaterThan(0);
    expect(media.thumbnails().map((t) => t.file)).toEqual(model.held);
    expect(summary.evicted).toBe(model.evicted.length);
    expect(summary.thumbnailBytes).toBeLessThanOrEqual(limit);
    expect(
      media
        .results()
        .filter((r) => r.evicted)
        .map((r) => r.file),
    ).toEqual([...model.evicted].sort());

    const run = ex.host.manager.get('media-analysis/run-1')!;
    expect(run.bytes).toBe(summary.thumbnailBytes);
    expect(run.memoryLimit).toEqual({ bytes: limit, policy: 'evict' });
    expect(ex.host.manager.stats().evictions).toBe(model.evicted.length);
    expect(events.every((e) => e.action === 'evicted' && e.component === run)).toBe(true);
    expect(events.reduce((sum, e) => sum + e.evicted, 0)).toBe(model.evicted.length);
    expect(summary.evictedBytes).toBe(
      SAMPLES.filter((p) => model.evicted.includes(p.file)).reduce((s, p) => s + p.thumbnailBytes, 0),
    );
    expect(media.thumbnail(model.evicted[0]!)).toBeUndefined();
  });

  it('a thumbnail that was used (served) is evicted after the others', async () => {
    const limit = 2400;
    // Before the last file, the oldest thumbnail still held is used: it must outlive a newer one.
    const after = SAMPLES.length - 2;
    const untouched = lruModel(limit);
    let touched: string | undefined;
    await media.analyse(undefined, {
      thumbnailLimitBytes: limit,
      onFile: (r) => {
        if (r.index !== after) return;
        touched = media.thumbnails()[0]!.file;
        expect(media.thumbnail(touched)).toBeDefined();
      },
    });
    const model = lruModel(limit, { after, file: touched! });
    expect(model.held).toContain(touched);
    expect(model.held).not.toEqual(untouched.held); // the touch changes the outcome
    expect(media.thumbnails().map((t) => t.file)).toEqual(model.held);
    expect(media.results().filter((r) => r.evicted).length).toBe(model.evicted.length);
  });
});

describe('media-analysis: stopping mid-run', () => {
  it('cancel() terminates the worker mid-run and frees every thumbnail', async () => {
    let worker: Worker | undefined;
    let exited: Promise<unknown> | undefined;
    let cancelled: Promise<boolean> | undefined;
    const summary = await media.analyse(undefined, {
      delayMs: 400, // the worker sleeps before each file: a cancel after the first is mid-run
      onFile: (r) => {
        if (r.index !== 0) return;
        worker = ledgerWorker();
        expect(worker?.threadId).toBe(media.workerThreadId);
        exited = once(worker!, 'exit');
        cancelled = media.cancel();
      },
    });
    expect(await cancelled).toBe(true);
    expect(await exited).toEqual([1]); // terminated (a worker that ends by itself exits with 0)
    expect(summary).toMatchObject({
      state: 'cancelled',
      cancelled: true,
      analysed: 1,
      thumbnails: 0,
      thumbnailBytes: 0,
    });
    expect(summary.total).toBeGreaterThan(1);
    expect(worker!.threadId).toBe(-1); // the thread is gone
    expect(ledgerWorker()).toBeUndefined();
    expect(media.workerThreadId).toBeNull();
    expect(ex.host.manager.get('media-analysis/run-1')).toBeUndefined();
    expect(ex.host.manager.stats().byType.thumbnail).toBeUndefined();
    expect(ex.host.get('media-analysis')).toMatchObject({ state: 'active', bytes: 0 });
    expect(await media.cancel()).toBe(false); // nothing left to cancel
  });

  it('unloading the plugin mid-run terminates the worker, frees the thumbnails and closes the page', async () => {
    const url = media.url;
    let worker: Worker | undefined;
    let unloaded: Promise<unknown> | undefined;
    let exited: Promise<unknown> | undefined;
    const threadsBefore = new Set<number>();
    const summary = await media.analyse(undefined, {
      delayMs: 400,
      onFile: (r) => {
        if (r.index !== 1) return;
        worker = ledgerWorker();
        threadsBefore.add(worker!.threadId);
        exited = once(worker!, 'exit');
        unloaded = ex.host.unload('media-analysis');
      },
    });
    await unloaded;
    expect(await exited).toEqual([1]); // terminated mid-run, not ended by itself
    expect(summary).toMatchObject({ cancelled: true, analysed: 2, thumbnails: 0 });
    expect(threadsBefore.size).toBe(1);
    expect([...threadsBefore][0]).toBeGreaterThan(0);
    expect(worker!.threadId).toBe(-1);
    expect(ex.host.get('media-analysis')!.state).toBe('unloaded');
    expect(ex.host.manager.components().map((c) => c.id)).not.toContain('media-analysis');
    expect(ex.host.manager.get('media-analysis/run-1')).toBeUndefined();
    expect(ex.host.manager.stats().byType.thumbnail).toBeUndefined();
    expect(ex.host.manager.services.tryGet(tokenFor('media.analysis'))).toBeUndefined();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('media-analysis: its page', () => {
  it('answers on 127.0.0.1 and lists the files, thumbnails and GPS points', async () => {
    expect(new URL(media.url).hostname).toBe('127.0.0.1');
    const summary = await media.analyse(undefined, { thumbnailLimitBytes: 4096 });
    const page = await fetch(media.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    for (const photo of SAMPLES) expect(html).toContain(`<tr data-file="${photo.file}">`);
    const gps = SAMPLES.filter((p) => p.latitude !== null).length;
    expect(html).toContain(`data-points="${gps}"`);
    expect(html.match(/<circle /g)).toHaveLength(gps);
    expect(html.match(/class="evicted"/g) ?? []).toHaveLength(summary.evicted);
    expect(html.match(/<img src="\/thumbnails\//g)).toHaveLength(summary.thumbnails);

    const held = media.thumbnails()[0]!;
    const image = await fetch(new URL(`/thumbnails/${held.file}`, media.url));
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await image.arrayBuffer()).equals(media.thumbnail(held.file)!)).toBe(true);
    const evicted = media.results().find((r) => r.evicted)!;
    expect((await fetch(new URL(`/thumbnails/${evicted.file}`, media.url))).status).toBe(404);

    const api = (await (await fetch(new URL('/api/status', media.url))).json()) as Record<string, unknown>;
    expect(api.results).toEqual(media.results());
    expect(api.thumbnails).toEqual(media.thumbnails());
  });

  it('starts a run from its form and refuses foreign hosts and cross-origin posts', async () => {
    const port = new URL(media.url).port;
    const form = 'thumbnailLimitBytes=3000&delayMs=0';
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };

    const forged = await raw(media.url, { headers: { host: `attacker.example:${port}` } });
    expect(forged.status).toBe(403);
    const cross = await raw(new URL('/analyse', media.url).href, {
      method: 'POST',
      headers: { ...headers, origin: 'http://attacker.example' },
      body: form,
    });
    expect(cross.status).toBe(403);
    expect(media.status()).toBeNull();

    const posted = await raw(new URL('/analyse', media.url).href, {
      method: 'POST',
      headers: { ...headers, origin: `http://127.0.0.1:${port}` },
      body: form,
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.location).toBe('/');
    expect(media.status()).toMatchObject({ run: 'media-analysis/run-1', limitBytes: 3000 });

    const bad = await raw(new URL('/analyse', media.url).href, {
      method: 'POST',
      headers,
      body: 'thumbnailLimitBytes=lots',
    });
    expect(bad.status).toBe(303);
    expect(await (await fetch(media.url)).text()).toMatch(/class="error">[^<]*thumbnailLimitBytes/);
    expect((await raw(new URL('/analyse', media.url).href, {})).status).toBe(405);
  });
});

describe('media-analysis: bad input', () => {
  it('refuses a missing folder or bad options with a clear error and starts nothing', async () => {
    await expect(media.analyse(join(PHOTOS_DIR, 'no-such-folder'))).rejects.toThrow(
      /cannot read folder .*no-such-folder.*pass a folder of JPEG images/,
    );
    await expect(media.analyse(undefined, { thumbnailLimitBytes: 64 * 2 ** 20 })).rejects.toThrow(
      /thumbnailLimitBytes must be an integer from 1 to 4194304/,
    );
    await expect(media.analyse(undefined, { delayMs: -1 })).rejects.toThrow(/delayMs/);
    await expect(media.analyse(42 as unknown as string)).rejects.toThrow(
      /folder must be a non-empty path string/,
    );
    expect(media.status()).toBeNull();
    expect(ex.host.manager.components().map((c) => c.id)).not.toContain('media-analysis/run-1');
    expect(ledgerWorker()).toBeUndefined();
  });
});
