export default {
  activate(ctx) {
    setTimeout(() => {
      throw new Error('thrown from a bare timer in a worker plugin');
    }, 50);
  },
};
