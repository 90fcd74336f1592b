const evil = new Proxy({}, { get() { throw new Error('gotcha: get'); }, ownKeys() { throw new Error('gotcha: keys'); }, getPrototypeOf() { throw new Error('gotcha: proto'); } });
export default {
  activate() {
    throw evil;
  },
};
