import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const secret = fileURLToPath(new URL('../../secret.txt', import.meta.url));

export default {
  async activate(ctx) {
    const result = { own: readFileSync(new URL('./package.json', import.meta.url), 'utf8').length > 0 };
    try {
      result.sync = readFileSync(secret, 'utf8');
    } catch (error) {
      result.sync = error.code;
    }
    // The promise API and ctx.open: the same refusal.
    result.promise = await readFile(secret, 'utf8').catch((error) => error.code);
    result.ctx = await ctx.open(secret).then(
      () => 'opened',
      (error) => error.code,
    );
    writeFileSync(`${await ctx.storage()}/result.json`, JSON.stringify(result));
  },
};
