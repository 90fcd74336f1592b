// Leaks a listener on a service: bus.on() on another plugin's event bus, never bus.off().
import { tokenFor } from 'steward';

export default {
  activate(ctx) {
    const bus = ctx.services.get(tokenFor('corpus.bus'));
    const seen = [];
    bus.on('change', function onChange(event) {
      seen.push(event);
    });
  },
};
