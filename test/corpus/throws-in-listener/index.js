// Throws from a listener on the host process (SIGUSR2), run when someone signals the host.
export default {
  activate(ctx) {
    ctx.listen(process, 'SIGUSR2', () => {
      throw new Error('thrown from a SIGUSR2 listener');
    });
    ctx.log.info('armed');
  },
};
