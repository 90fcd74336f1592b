import { appendFileSync } from 'node:fs';

export default {
  activate(ctx) {
    const child = ctx.spawn('sleep', ['307'], { stdio: 'ignore' });
    appendFileSync(process.env.CORPUS_PIDS, `spin ${child.pid}\n`);
  },
  deactivate() {
    for (;;) {} // never yields: only terminating the worker stops it
  },
};
