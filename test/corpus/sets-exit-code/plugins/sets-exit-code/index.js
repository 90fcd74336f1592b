export default {
  activate() {
    process.exitCode = 42;
  },
};
