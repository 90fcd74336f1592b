// A small tour of the core: a media tab owns a worker-like job, a timer, listeners and a
// thumbnail cache under a memory limit; closing the tab releases everything in order, within
// deadlines, with every failure reported. Run: npm run demo:core
import { EventEmitter } from 'node:events';
import { ResourceManager } from '../src/core/index.js';

const manager = new ResourceManager({ leakTracking: true, disposerTimeoutMs: 200 });
manager.on('memoryThresholdExceeded', (e) =>
  console.log(
    `  memory: ${e.component.id} at ${e.currentBytes}/${e.limitBytes} B → ${e.action} ${e.evicted} thumbnail(s)`,
  ),
);
manager.on('disposerFailed', (e) =>
  console.log(`  disposer failed in ${e.component.id}: ${(e.error as Error).message}`),
);

const tab = manager.register({ name: 'MediaAnalysisTab' }, 'media-tab', {
  type: 'tab',
  memoryLimit: { bytes: 3 * 50_000, policy: 'evict' },
});
const cache = manager.register('media-tab/thumbnails', { type: 'cache', parent: tab });

// A timer and a listener, disposed without being told how (clearTimeout / unsubscribe).
tab.track(
  setInterval(() => {}, 1000),
  { type: 'timer' },
);
const bus = new EventEmitter();
const onFile = (): void => {};
bus.on('file', onFile);
tab.track({ unsubscribe: () => bus.off('file', onFile) }, { type: 'listener' });

// An async job whose disposer takes a while, and one that fails.
tab.track(
  { close: () => new Promise((r) => setTimeout(r, 50)) },
  { type: 'worker', metadata: { job: 'exif' } },
);
tab.track({ close: () => Promise.reject(new Error('socket already closed')) }, { type: 'socket' });

// Thumbnails: evictable, least recently used first, under the tab's 150 kB limit.
const thumbs = ['a.jpg', 'b.jpg', 'c.jpg'].map((file) =>
  cache.track(new Uint8Array(50_000), {
    type: 'thumbnail',
    size: 50_000,
    evictable: true,
    metadata: { file },
  }),
);
thumbs[0]!.touch(); // a.jpg was just shown: b.jpg is now the least recently used
cache.track(new Uint8Array(50_000), {
  type: 'thumbnail',
  size: 50_000,
  evictable: true,
  metadata: { file: 'd.jpg' },
});

const stats = manager.stats();
console.log(`tab holds ${tab.bytes} B in ${stats.activeResources} resources:`, JSON.stringify(stats.byType));
console.log(
  'thumbnails kept:',
  cache.resources().map((r) => r.metadata?.file),
);

// Scopes: released at the end of the block, also on throw.
await manager.run(async (scope) => {
  scope.track(new Uint8Array(1024), { type: 'memory', size: 1024 });
  console.log(`inside a scope: ${manager.totalBytes} B tracked`);
});

console.log('closing the tab…');
const report = await tab.cleanup({ force: true, reason: 'tab closed' });
console.log(
  `  cleaned ${report.components.join(' then ')}: ${report.released} released, ${report.failed.length} failed, ` +
    `${report.abandoned.length} abandoned, in ${report.durationMs.toFixed(1)} ms`,
);
console.log(`left: ${manager.activeResources} resources, ${manager.totalBytes} B`);
await manager.dispose();
