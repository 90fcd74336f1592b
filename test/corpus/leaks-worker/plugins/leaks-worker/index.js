import { Worker } from 'node:worker_threads';
// A worker with its own stdio streams, never terminated.
export default {
  activate() {
    const worker = new Worker('setInterval(() => {}, 60_000); console.log("worker up")', {
      eval: true,
      stdout: true,
      stdin: true,
    });
    worker.stdout.on('data', () => {});
  },
};
