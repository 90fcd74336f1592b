export default {
  activate(ctx) {
    const child = ctx.spawn('sleep', ['1000'], { stdio: 'ignore' });
    ctx.log.info(`corpus-pid ${child.pid}`);
  },
};
