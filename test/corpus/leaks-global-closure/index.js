// Leaks a closure into a global: a formatter installed on globalThis for "other code", never deleted.
export default {
  activate(ctx) {
    const prefix = `[${ctx.id}]`;
    globalThis.corpusFormatter = function formatEntry(entry) {
      return `${prefix} ${entry}`;
    };
  },
};
