export default {
  activate(ctx) {
    setTimeout(() => process.exit(0), 100);
  },
};
