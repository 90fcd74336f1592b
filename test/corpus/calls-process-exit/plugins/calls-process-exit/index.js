export default {
  activate() {
    process.exit(3);
  },
};
