import { exec } from 'node:child_process';
export default {
  activate(ctx) {
    const shell = exec('sleep 1000; echo done');
    ctx.log.info(`corpus-pid ${shell.pid}`);
  },
};
