import { exec } from 'node:child_process';
export default {
  activate(ctx) {
    // Two commands: the shell stays, and `sleep` is its child (the host's grandchild).
    const shell = exec('sleep 1000; echo done');
    ctx.log.info(`corpus-pid ${shell.pid}`);
  },
};
