export default 42;
export const activate = 'not a function';
