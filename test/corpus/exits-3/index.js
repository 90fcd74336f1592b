export default {
  activate(ctx) {
    ctx.setTimeout(() => process.exit(3), 50);
  },
};
