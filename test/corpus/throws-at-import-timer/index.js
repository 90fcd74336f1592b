// Schedules a throwing timer at import time, before any activate(): no plugin context exists yet.
setTimeout(
  () => {
    throw new RangeError('thrown from a timer armed at import');
  },
  Number(process.env.CORPUS_DELAY_MS ?? 200),
);

export default {
  activate(ctx) {
    ctx.log.info('armed');
  },
};
