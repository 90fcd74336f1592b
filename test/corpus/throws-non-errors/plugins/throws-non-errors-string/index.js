export default {
  activate() {
    throw 'a plain string, no stack';
  },
};
