export default { activate(ctx) { ctx.log.info('huge manifest loaded'); } };
