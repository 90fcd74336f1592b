export default {
  activate() {
    throw new TypeError('cannot read the config it never asked for');
  },
};
