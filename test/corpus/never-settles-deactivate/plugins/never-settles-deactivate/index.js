export default {
  activate() {},
  deactivate() {
    return new Promise(() => {});
  },
};
