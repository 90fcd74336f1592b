// Unbounded recursion: a RangeError deep in the stack.
const walk = (node) => walk({ parent: node });
export default {
  activate() {
    walk(null);
  },
};
