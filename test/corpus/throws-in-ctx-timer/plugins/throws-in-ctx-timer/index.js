export default {
  activate(ctx) {
    ctx.setTimeout(() => {
      throw new Error('thrown from ctx.setTimeout');
    }, 100);
  },
};
