export default {
  activate() {
    const error = new Error('carries a function');
    error.callback = () => {};
    error.self = error;
    throw error;
  },
};
