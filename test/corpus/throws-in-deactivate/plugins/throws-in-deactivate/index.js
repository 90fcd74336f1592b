export default {
  activate(ctx) {
    ctx.setInterval(() => {}, 60_000);
  },
  deactivate() {
    throw new Error('deactivate blew up half-way');
  },
};
