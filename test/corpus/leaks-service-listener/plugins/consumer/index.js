import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    const bus = ctx.services.get(tokenFor('corpus-bus'));
    bus.on('tick', () => {});
    bus.once('shutdown', () => {});
  },
};
