import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const FOREVER = ['-e', 'setInterval(() => {}, 1000)'];

export default {
  async activate(ctx) {
    const inGroup = spawn(process.execPath, FOREVER, { stdio: 'ignore' });
    const detached = spawn(process.execPath, FOREVER, { stdio: 'ignore', detached: true });
    detached.unref();
    const pids = { plugin: process.pid, inGroup: inGroup.pid, detached: detached.pid };
    writeFileSync(`${await ctx.storage()}/pids.json`, JSON.stringify(pids));
    ctx.log.info(`pids ${JSON.stringify(pids)}`);
  },
};
