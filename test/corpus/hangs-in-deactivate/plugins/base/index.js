import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default {
  activate() {},
  deactivate() {
    writeFileSync(join(process.env.CORPUS_MARKERS, 'base.done'), '');
  },
};
