export default {
  activate() {
    Promise.resolve()
      .then(() => new Promise((resolve) => setTimeout(resolve, 50)))
      .then(() => {
        throw new Error('nobody catches this rejection');
      });
  },
};
