// Activates, then its thread spins forever from a timer; it has no deactivate hook. Unloading it
// must not wait for its 60 s deactivation timeout: its thread does not answer, the host ends it.
export default {
  activate(ctx) {
    ctx.setTimeout(() => {
      ctx.log.info('spinning');
      for (;;) {}
    }, 100);
  },
};
