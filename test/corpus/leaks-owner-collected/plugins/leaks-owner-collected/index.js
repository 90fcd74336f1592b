// Registers a component for an object it then drops, and never cleans the component up.
export default {
  activate(ctx) {
    const cache = ctx.component.manager.register({ entries: new Map() }, 'leaks-owner-collected-cache');
    cache.track({ close() {} });
    const collect = () => {
      globalThis.gc();
      ctx.setTimeout(collect, 50);
    };
    ctx.setTimeout(collect, 10);
  },
};
