import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
export default {
  async activate(ctx) {
    const manifest = fileURLToPath(new URL('./package.json', import.meta.url));
    await readFile(manifest); // opens and closes a handle of its own: no finding
    globalThis.__corpusKeep = await open(manifest, 'r');
    const tracked = await ctx.open(manifest); // tracked: closed at deactivation, no finding
    ctx.log.info(`opened fd ${tracked.fd}`);
  },
};
