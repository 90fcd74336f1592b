// Polls forever and never clears its interval.
export default {
  activate() {
    setInterval(() => {}, 60_000);
  },
};
