import { MessageChannel } from 'node:worker_threads';
export default {
  activate() {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', () => {});
    port2.postMessage('hello');
  },
};
