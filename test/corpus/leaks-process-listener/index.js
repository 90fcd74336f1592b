// Leaks a process listener: process.on() directly instead of ctx.listen(), never removed,
// and the handler uses ctx — so the whole plugin context outlives the unload.
export default {
  activate(ctx) {
    process.on('SIGUSR2', function onSignal() {
      ctx.log.info('dumping state');
    });
  },
};
