import { watch, watchFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
export default {
  activate() {
    const here = fileURLToPath(new URL('.', import.meta.url));
    watch(here, () => {});
    watchFile(fileURLToPath(new URL('./package.json', import.meta.url)), { interval: 5000 }, () => {});
  },
};
