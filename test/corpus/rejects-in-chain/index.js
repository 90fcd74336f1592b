// Rejects at the end of a promise chain that nobody handles.
export default {
  activate(ctx) {
    Promise.resolve()
      .then(() => new Promise((resolve) => setTimeout(resolve, Number(process.env.CORPUS_DELAY_MS ?? 200))))
      .then(() => {
        throw new Error('rejected in a promise chain');
      });
    ctx.log.info('armed');
  },
};
