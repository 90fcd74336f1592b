export default {
  activate(ctx) {
    const keep = [];
    ctx.setInterval(() => keep.push(Buffer.alloc(8 * 2 ** 20, 1)), 20);
  },
};
