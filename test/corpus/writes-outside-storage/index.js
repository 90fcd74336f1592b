import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export default {
  async activate(ctx) {
    const storage = await ctx.storage();
    const result = {};
    writeFileSync(`${storage}/inside.txt`, 'allowed');
    result.inside = 'written';
    try {
      writeFileSync(`${dirname(storage)}/escaped.txt`, 'escaped');
      result.escaped = 'written';
    } catch (error) {
      result.escaped = error.code;
    }
    const own = fileURLToPath(new URL('./tampered.txt', import.meta.url));
    result.tampered = await writeFile(own, 'tampered').then(
      () => 'written',
      (error) => error.code,
    );
    writeFileSync(`${storage}/result.json`, JSON.stringify(result));
  },
};
