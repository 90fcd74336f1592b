// Throws from a timer it tracked with ctx.setTimeout.
export default {
  activate(ctx) {
    ctx.setTimeout(
      () => {
        throw new TypeError('thrown from ctx.setTimeout');
      },
      Number(process.env.CORPUS_DELAY_MS ?? 200),
    );
    ctx.log.info('armed');
  },
};
