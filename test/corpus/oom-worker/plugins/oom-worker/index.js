// Holds on to everything it ever allocates.
const hoard = [];
export default {
  activate(ctx) {
    setTimeout(function grow() {
      for (let i = 0; i < 64; i++) hoard.push(new Array(16_384).fill(Math.random()));
      setTimeout(grow, 1);
    }, 1);
  },
};
