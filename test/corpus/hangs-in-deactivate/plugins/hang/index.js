export default {
  activate(ctx) {
    ctx.spawn('sleep', ['306'], { stdio: 'ignore' }); // force-released when it is abandoned
  },
  deactivate() {
    return new Promise(() => {}); // never settles, and ignores ctx.signal
  },
};
