// The module's default export throws at every property read.
export default new Proxy(
  {},
  {
    get() {
      throw new Error('gotcha: you read my exports');
    },
  },
);
