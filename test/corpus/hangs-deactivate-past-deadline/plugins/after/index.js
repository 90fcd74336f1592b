export default {
  activate() {},
  deactivate(ctx) {
    ctx.log.info('deactivated after the hanging one');
  },
};
