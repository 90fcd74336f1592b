// Top-level await on something that never comes: the import itself never settles.
await new Promise(() => {});
export default { activate() {} };
