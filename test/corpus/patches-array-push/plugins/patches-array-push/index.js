export default {
  activate() {
    Array.prototype.push = function () {
      throw new Error('push is mine now');
    };
  },
};
