// Sends SIGTERM to its own process (the host), then tries process.abort().
export default {
  activate(ctx) {
    ctx.setTimeout(
      () => {
        try {
          process.kill(process.pid, 'SIGTERM');
        } catch (error) {
          ctx.log.warn(`kill refused: ${error.code}`);
        }
        process.abort();
      },
      Number(process.env.CORPUS_DELAY_MS ?? 200),
    );
    ctx.log.info('armed');
  },
};
