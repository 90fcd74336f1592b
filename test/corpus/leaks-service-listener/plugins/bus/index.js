import { EventEmitter } from 'node:events';
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    const bus = new EventEmitter();
    bus.on('tick', () => {}); // the provider listening to its own bus is no leak
    ctx.services.provide(tokenFor('corpus-bus'), bus);
    ctx.setInterval(() => bus.emit('tick'), 1000);
  },
};
