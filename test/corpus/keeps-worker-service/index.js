// Keeps another plugin's service beyond that plugin's life: the proxy of a worker plugin's
// service goes into a module-level array, never emptied (the fix: ctx.onCleanup removing it,
// or asking ctx.services.get() each time).
import { tokenFor } from 'steward';

const clocks = [];

export default {
  activate(ctx) {
    clocks.push(ctx.services.get(tokenFor('corpus.clock'))); // wrong: kept forever
  },
};
