// A deliberately leaky plugin. It does one thing right — a heartbeat through `ctx.setInterval`,
// cleared at unload — and two things wrong: an interval and a SIGUSR2 listener created
// directly, without `ctx`, and never removed. Steward's ledger does not know them, so they
// outlive the plugin; handle attribution (steward/node) finds the timer created while the
// plugin's code ran, names the plugin in the leak report and can reclaim it.
//
// Loaded only on request: it lives outside examples/plugins (see examples/README.md).

/** Counts what the leaked handles do after the plugin is gone (visible in the leak demo). */
export const leaked = { ticks: 0, signals: 0 };

/** Activates one tracked timer and two forgotten handles (no deactivate). */
export default {
  activate(ctx) {
    ctx.setInterval(() => ctx.log.debug('heartbeat'), 1000); // right: cleared at unload

    // Wrong: neither goes through ctx, and the plugin has no deactivate to undo them.
    setInterval(() => {
      leaked.ticks++;
    }, 1000);
    process.on('SIGUSR2', () => {
      leaked.signals++;
    });

    ctx.log.warn('started an interval and a SIGUSR2 listener without ctx: they will outlive this plugin');
  },
};
