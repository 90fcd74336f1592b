export default {
  activate(ctx) {
    for (let i = 0; i < 20_000; i++) ctx.log.info(`line ${i} of a log nobody asked for`);
    console.log('x'.repeat(1_000_000));
  },
};
