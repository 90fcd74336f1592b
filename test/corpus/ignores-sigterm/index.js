export default {
  activate(ctx) {
    process.on('SIGTERM', () => ctx.log.info('ignoring SIGTERM'));
    ctx.setInterval(() => {}, 1000);
  },
};
