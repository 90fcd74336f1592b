export default {
  activate(ctx) {
    ctx.setTimeout(() => process.abort(), 50);
  },
};
