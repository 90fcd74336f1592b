export default {
  activate(ctx) {
    process.on('SIGUSR2', () => ctx.log.info('dump requested'));
    process.once('beforeExit', () => {});
    process.on('warning', (warning) => ctx.log.warn(warning.message));
    ctx.listen(process, 'SIGWINCH', () => {}); // through ctx: removed at deactivation, no finding
  },
};
