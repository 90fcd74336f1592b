/**
 * The entry of a plugin's worker thread: the plugin's side of the runtime (remote-plugin.ts),
 * booted from `workerData`, over the worker's port to the host. The thread runs it bundled into
 * one CommonJS file (dist/plugins/worker-entry.cjs, scripts/bundle-entries.mjs), so it has no
 * top-level await: the port's listener keeps the thread alive, and `runRemotePlugin` never rejects
 * (a plugin that fails to load is reported as `load-failed`; anything else would be an unhandled
 * rejection, which ends the thread with an `error` event as a failed module evaluation did).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StewardError } from '../core/index.js';
import { guardWorkerChildren } from '../node/attribution-children.js';
import { inheritChildMark } from '../node/child-token.js';
import { runRemotePlugin } from './remote-plugin.js';
import type { RemoteBoot } from './remote-protocol.js';

const port = parentPort;
if (!port) {
  throw new StewardError('worker-entry.ts runs only as a worker thread started by the plugin host.', {
    code: 'STEWARD_PROTOCOL',
  });
}

const boot = workerData as RemoteBoot;
// Every child this thread starts without `detached` dies with the host (child-token.ts), by the
// host's mark, which the host sent.
inheritChildMark(boot.childMark);
guardWorkerChildren();

void runRemotePlugin(boot, {
  send: (message) => port.postMessage(message),
  onMessage: (listener) => port.on('message', listener),
});
