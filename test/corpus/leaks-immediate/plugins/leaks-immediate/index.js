// A setImmediate chain that never ends (each turn sleeps 2 ms so it does not spin a core).
const pause = new Int32Array(new SharedArrayBuffer(4));
export default {
  activate() {
    setImmediate(function again() {
      Atomics.wait(pause, 0, 0, 2);
      setImmediate(again);
    });
  },
};
