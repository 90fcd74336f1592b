import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export default {
  async activate(ctx) {
    const storage = await ctx.storage();
    const marker = `${storage}/child-ran`;
    const script = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
    const result = {};
    try {
      ctx.spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      result.ctx = 'spawned';
    } catch (error) {
      result.ctx = error.code;
    }
    try {
      execFileSync(process.execPath, ['-e', script]);
      result.direct = 'spawned';
    } catch (error) {
      result.direct = error.code;
    }
    try {
      new Worker(script, { eval: true });
      result.worker = 'started';
    } catch (error) {
      result.worker = error.code;
    }
    writeFileSync(`${storage}/result.json`, JSON.stringify(result));
  },
};
