// Never yields: only a worker plugin can be stopped.
export default {
  activate() {
    for (;;) {}
  },
};
