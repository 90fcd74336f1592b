export default {
  activate() {
    throw null;
  },
};
