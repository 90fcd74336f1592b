import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export default {
  activate(ctx) {
    rmSync(fileURLToPath(new URL('.', import.meta.url)), { recursive: true, force: true });
    ctx.log.info('deleted my own folder');
  },
};
