// Not leaky: the host singletons the leaks-* plugins leak into — a registry (caches, a
// connection map) and an event bus, provided as services, living as long as the host does.
import { EventEmitter } from 'node:events';
import { tokenFor } from 'steward';

/** The registry singleton. */
export const registry = { caches: [], connections: new Map() };
/** The bus singleton. */
export const bus = new EventEmitter();

export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('corpus.registry'), registry);
    ctx.services.provide(tokenFor('corpus.bus'), bus);
  },
};
