// Waits for something that never comes.
export default {
  activate() {
    return new Promise(() => {});
  },
};
