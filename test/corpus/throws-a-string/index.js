// Throws a string, not an Error, from a bare timer: no stack names the plugin, only the async
// context its code ran in can.
export default {
  activate(ctx) {
    setTimeout(
      () => {
        throw 'a string, not an Error';
      },
      Number(process.env.CORPUS_DELAY_MS ?? 200),
    );
    ctx.log.info('armed');
  },
};
