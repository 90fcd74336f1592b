export default {
  activate() {
    throw 42;
  },
};
