import { Worker } from 'node:worker_threads';
export default {
  activate() {
    new Worker('setInterval(() => {}, 60_000)', { eval: true, stdout: true });
    setTimeout(() => {
      throw new Error('thrown from a bare setTimeout');
    }, 100);
  },
};
