const evil = new Proxy({}, { get() { throw new Error('gotcha: get'); }, ownKeys() { throw new Error('gotcha: keys'); }, getPrototypeOf() { throw new Error('gotcha: proto'); }, has() { throw new Error('gotcha: has'); }, getOwnPropertyDescriptor() { throw new Error('gotcha: descriptor'); } });
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('corpus-evil'), evil);
  },
};
