export default {
  activate() {
    return Promise.reject(undefined);
  },
};
