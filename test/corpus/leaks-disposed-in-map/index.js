// Keeps a disposed value reachable: the connection is tracked (so Steward closes it at
// unload) but also stored in a host singleton's map, which nobody clears — a closed
// connection kept forever (Flutter leak_tracker's "disposed but not collected").
import { tokenFor } from 'steward';

export default {
  activate(ctx) {
    const registry = ctx.services.get(tokenFor('corpus.registry'));
    const connection = ctx.track(
      { name: 'db', open: true, buffer: new Uint8Array(64 * 1024) },
      { type: 'connection', dispose: (c) => void (c.open = false) },
    ).value;
    registry.connections.set(ctx.id, connection); // wrong: never deleted at unload
  },
};
