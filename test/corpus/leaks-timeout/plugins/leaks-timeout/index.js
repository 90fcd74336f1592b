export default {
  activate() {
    setTimeout(() => {}, 3_600_000);
  },
};
