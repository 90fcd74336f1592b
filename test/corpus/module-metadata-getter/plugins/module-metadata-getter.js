export const metadata = {
  get id() {
    throw new Error('gotcha: discovery ran my getter');
  },
  version: '1.0.0',
};
export default { activate() {} };
