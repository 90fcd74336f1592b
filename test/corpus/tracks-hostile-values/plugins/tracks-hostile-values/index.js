const evil = new Proxy({}, { get() { throw new Error('gotcha: get'); }, ownKeys() { throw new Error('gotcha: keys'); }, getPrototypeOf() { throw new Error('gotcha: proto'); }, has() { throw new Error('gotcha: has'); }, getOwnPropertyDescriptor() { throw new Error('gotcha: descriptor'); } });
export default {
  activate(ctx) {
    ctx.track({ close() {} }, { type: 'cache', metadata: { big: 10n, nested: { evil } } });
    ctx.log.info('tracked hostile metadata');
    ctx.track({ close() {} }, { type: 'cache', metadata: evil }); // reading it throws: the plugin fails, the host does not
  },
};
