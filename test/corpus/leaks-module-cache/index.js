// Leaks a module-level cache: it hands the cache to a host singleton (the registry service)
// and never takes it back, so every unloaded generation's thumbnails stay in memory.
import { tokenFor } from 'steward';

const thumbnails = new Map();

export default {
  activate(ctx) {
    const registry = ctx.services.get(tokenFor('corpus.registry'));
    registry.caches.push(thumbnails); // wrong: no ctx.onCleanup() removing it
    thumbnails.set('cover', new Uint8Array(256 * 1024));
  },
};
