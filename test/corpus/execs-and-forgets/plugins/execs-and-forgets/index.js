import { exec } from 'node:child_process';
export default {
  activate(ctx) {
    const child = exec('exec sleep 1000');
    ctx.log.info(`corpus-pid ${child.pid}`);
  },
};
