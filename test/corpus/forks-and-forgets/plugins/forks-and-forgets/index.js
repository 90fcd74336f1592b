import { fork } from 'node:child_process';
export default {
  activate(ctx) {
    const child = fork(new URL('./child.cjs', import.meta.url), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child.on('message', () => {});
    ctx.log.info(`corpus-pid ${child.pid}`);
  },
};
