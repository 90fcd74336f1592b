export default { activate(ctx) { ctx.log.info('loaded despite its manifest'); } };
