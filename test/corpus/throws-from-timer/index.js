// Throws from a bare setTimeout scheduled in activate(): nothing catches it.
export default {
  activate(ctx) {
    setTimeout(
      () => {
        throw new Error('thrown from a bare timer');
      },
      Number(process.env.CORPUS_DELAY_MS ?? 200),
    );
    ctx.log.info('armed');
  },
};
