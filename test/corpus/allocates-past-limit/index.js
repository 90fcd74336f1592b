export default {
  activate(ctx) {
    const keep = [];
    ctx.setTimeout(() => {
      for (;;) keep.push(new Array(100_000).fill({ n: Math.random() }));
    }, 20);
  },
};
