export default { activate(ctx) { ctx.log.info('first copy'); } };
