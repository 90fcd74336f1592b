export default { activate(ctx) { ctx.log.info('second copy'); } };
