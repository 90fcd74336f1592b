await new Promise(() => {});
export default { activate() {} };
