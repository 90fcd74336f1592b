const evil = new Proxy({}, { get() { throw new Error('gotcha: get'); }, ownKeys() { throw new Error('gotcha: keys'); }, getPrototypeOf() { throw new Error('gotcha: proto'); }, has() { throw new Error('gotcha: has'); }, getOwnPropertyDescriptor() { throw new Error('gotcha: descriptor'); } });
const cycle = { name: 'cycle' };
cycle.self = cycle;
const rude = {
  [Symbol.for('nodejs.util.inspect.custom')]() {
    throw new Error('gotcha: inspect');
  },
  toString() {
    throw new Error('gotcha: toString');
  },
};
export default {
  activate(ctx) {
    ctx.log.info('a proxy:', evil);
    ctx.log.warn('a cycle:', cycle, 'a bigint:', 10n, 'a symbol:', Symbol('s'));
    ctx.log.error(evil);
    ctx.log.info('rude:', rude);
    ctx.log.info(rude);
    ctx.log.info('still logging');
  },
};
