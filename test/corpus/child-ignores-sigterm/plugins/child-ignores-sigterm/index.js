export default {
  activate(ctx) {
    const child = ctx.spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"],
      { stdio: ['ignore', 'pipe', 'ignore'], killGraceMs: 300 },
    );
    ctx.log.info(`corpus-pid ${child.pid}`);
    return new Promise((resolve) => child.stdout.once('data', resolve));
  },
};
