export default {
  activate(ctx) {
    // Defeats the plugin process's own SIGTERM handling, then ignores SIGTERM.
    process.removeAllListeners('SIGTERM');
    process.on('SIGTERM', () => ctx.log.info('ignoring SIGTERM'));
    ctx.setInterval(() => {}, 1000);
  },
};
