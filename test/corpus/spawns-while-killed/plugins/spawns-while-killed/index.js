// Spawns all the time, so a SIGKILL of the host most likely lands inside spawn(): the child
// exists, its pid not yet known to the host's code. Only the first pid is printed.
export default {
  activate(ctx) {
    const live = [];
    let first = true;
    const step = () => {
      let child;
      try {
        child = ctx.spawn('sleep', ['1000'], { stdio: 'ignore' });
      } catch {
        return; // deactivated
      }
      if (first) ctx.log.info(`corpus-pid ${child.pid}`);
      first = false;
      live.push(child);
      if (live.length > 4) live.shift().kill('SIGKILL');
      setImmediate(step);
    };
    step();
  },
};
