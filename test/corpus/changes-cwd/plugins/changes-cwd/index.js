import { tmpdir } from 'node:os';
export default {
  activate() {
    process.chdir(tmpdir());
  },
};
