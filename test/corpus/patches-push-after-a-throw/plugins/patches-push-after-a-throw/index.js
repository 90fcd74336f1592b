// Two bare timers due at the same time, so they run in the same turn of the event loop: the
// first throws; the second replaces Array.prototype.push with a function that throws, then
// throws itself. (Containment skipped looking for replaced globals when it had looked earlier
// in the same turn: push stayed replaced, the claim broke on it, and the host went down.)
export default {
  activate() {
    setTimeout(() => {
      throw new Error('thrown first');
    }, 100);
    setTimeout(() => {
      Array.prototype.push = function hijacked() {
        throw new Error('push was replaced by patches-push-after-a-throw');
      };
      throw new Error('thrown second, with push replaced');
    }, 100);
  },
};
