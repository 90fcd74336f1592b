/**
 * The entry of a plugin's worker thread: the plugin's side of the runtime (remote-plugin.ts),
 * booted from `workerData`, over the worker's port to the host.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StewardError } from '../core/index.js';
import { guardWorkerChildren } from '../node/attribution-children.js';
import { runRemotePlugin } from './remote-plugin.js';
import type { RemoteBoot } from './remote-protocol.js';

const port = parentPort;
if (!port) {
  throw new StewardError('worker-entry.ts runs only as a worker thread started by the plugin host.', {
    code: 'STEWARD_PROTOCOL',
  });
}

// Every child this thread starts without `detached` dies with the host (child-token.ts).
guardWorkerChildren();

await runRemotePlugin(workerData as RemoteBoot, {
  send: (message) => port.postMessage(message),
  onMessage: (listener) => port.on('message', listener),
});
