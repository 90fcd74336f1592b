import { spawn } from 'node:child_process';
export default {
  activate(ctx) {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    ctx.log.info(`corpus-pid ${child.pid}`);
  },
};
