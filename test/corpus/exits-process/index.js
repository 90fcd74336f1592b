// Calls process.exit(3) from a timer, as a CLI library would on an error.
export default {
  activate(ctx) {
    ctx.setTimeout(
      () => {
        process.exit(3);
      },
      Number(process.env.CORPUS_DELAY_MS ?? 200),
    );
    ctx.log.info('armed');
  },
};
