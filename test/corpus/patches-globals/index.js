// Replaces globalThis.setTimeout and Array.prototype.push with functions that throw, and never
// puts them back: everybody else's timers and arrays break unless they kept their own references.
export default {
  activate(ctx) {
    globalThis.setTimeout = function hijackedSetTimeout() {
      throw new Error('setTimeout was replaced by patches-globals');
    };
    Array.prototype.push = function hijackedPush() {
      throw new Error('Array.prototype.push was replaced by patches-globals');
    };
    ctx.log.info('armed');
  },
};
