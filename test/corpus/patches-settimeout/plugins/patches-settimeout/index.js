export default {
  activate() {
    globalThis.setTimeout = () => {
      throw new Error('no timers for you');
    };
    globalThis.clearTimeout = () => {
      throw new Error('no timers for you');
    };
  },
};
