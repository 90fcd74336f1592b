// Throws a value that throws back at whoever inspects it: every trap of the proxy throws.
const trap = (what) => () => {
  throw new Error(`gotcha: ${what}`);
};
const evil = new Proxy(
  {},
  {
    get: trap('get'),
    has: trap('has'),
    ownKeys: trap('ownKeys'),
    getOwnPropertyDescriptor: trap('getOwnPropertyDescriptor'),
    getPrototypeOf: trap('getPrototypeOf'),
  },
);
export default {
  activate() {
    throw evil;
  },
};
