export default {
  activate() {
    process.exit(7);
  },
};
