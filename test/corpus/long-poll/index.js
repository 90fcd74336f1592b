// A long poll that never ends by itself: the server it polls answers nothing. It passes the
// task's signal to fetch and does nothing else to stop — deactivation must do the rest.
export default {
  activate(ctx) {
    ctx.task(
      async (signal) => {
        for (;;) {
          const response = await fetch(process.env.STEWARD_LONG_POLL_URL, { signal });
          await response.text();
        }
      },
      { name: 'long poll' },
    );
  },
};
