// Leaks a timer: a bare setInterval (not ctx.setInterval), never cleared.
export default {
  activate(ctx) {
    let polls = 0;
    const timer = setInterval(function poll() {
      polls++;
      if (polls < 0) ctx.log.info('never');
    }, 60_000);
    timer.unref();
  },
};
