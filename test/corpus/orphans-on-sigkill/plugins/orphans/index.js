// Written as a careless third party would: children everywhere, then the thread is blocked,
// so whatever guards them must have been set up synchronously by the time each call returned.
import { appendFileSync } from 'node:fs';

const KINDS = {
  spawn: (ctx) => ctx.spawn('sleep', ['300'], { stdio: 'ignore' }),
  fork: (ctx) => ctx.fork(new URL('./sleeper.js', import.meta.url), [], { stdio: 'ignore' }),
  exec: (ctx) => ctx.exec('sleep 301; echo done', () => {}),
  execFile: (ctx) => ctx.execFile('sleep', ['302'], () => {}),
};

export default {
  activate(ctx) {
    const first = process.env.CORPUS_FIRST ?? 'spawn';
    const order = [first, ...Object.keys(KINDS).filter((k) => k !== first)];
    for (const kind of order) {
      const child = KINDS[kind](ctx);
      appendFileSync(process.env.CORPUS_PIDS, `${kind} ${child.pid}\n`);
    }
    // Block this thread (the host's, for an inline plugin): nothing async runs any more.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
};
