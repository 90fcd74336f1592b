/**
 * The entry of a plugin's own process (transport-process.ts): the plugin's side of the runtime
 * (remote-plugin.ts) over the process's IPC channel, booted by the first message. It exits when
 * the channel closes (the host is gone), and reports an uncaught error before exiting with it.
 */
import { StewardError } from '../core/index.js';
import { inheritChildMark } from '../node/child-token.js';
import { installAuditHooks, installDenialHooks, withoutHooks } from './access-hooks.js';
import { implicitReads } from './permissions.js';
import { descendants, signalAll } from './process-tree.js';
import { runRemotePlugin, sendAccess } from './remote-plugin.js';
import type { MessageChannelEnd, RemoteBoot } from './remote-protocol.js';
import { serializeError } from './rpc.js';

// The host's mark on what this process starts (child-token.ts), read before plugin code runs.
inheritChildMark();

const maybeSend = process.send?.bind(process);
if (!maybeSend) {
  throw new StewardError('process-entry.ts runs only as a plugin process forked by the plugin host.', {
    code: 'STEWARD_PROTOCOL',
  });
}

const send = maybeSend;
// In audit mode the ctx guard and the fs hooks may both see one access: the host hears it once.
const accessSeen = new Set<string>();
const channel: MessageChannelEnd = {
  send(message) {
    const m = message as { t?: string; permission?: string; resource?: string; denied?: boolean };
    if (m.t === 'access') {
      const key = `${m.denied}\0${m.permission}\0${m.resource}`;
      if (accessSeen.has(key)) return;
      accessSeen.add(key);
    }
    void send(message);
  },
  onMessage: (listener) => process.on('message', listener),
  sendAndWait: (message) =>
    new Promise<void>((resolve, reject) => {
      send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
    }),
};

let dying = false;
/** Tell the host why, then exit 1 (within a second whatever happens to the message). */
function fatal(error: unknown): void {
  if (dying) return;
  dying = true;
  setTimeout(() => process.exit(1), 1000).unref();
  try {
    send({ t: 'fatal', error: serializeError(error) }, undefined, undefined, () => process.exit(1));
  } catch {
    process.exit(1);
  }
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
let enforced = false;
const hostPid = process.ppid;

/**
 * End the children that left the process group (the group itself is signalled by whoever ends
 * this process): found in /proc, which a process under the permission model may not read — its
 * children need --allow-child-process, and the group signal is what ends them then. Killed at
 * once when the host is gone (nobody would follow up), else asked with SIGTERM (the host sends
 * SIGKILL after its grace period).
 */
function endStrays(): void {
  if (enforced) return;
  withoutHooks(() => signalAll(descendants(process.pid), process.ppid === hostPid ? 'SIGTERM' : 'SIGKILL'));
}
// The host is gone (its end of the channel closed, even by SIGKILL): nothing is left to serve.
process.on('disconnect', () => {
  endStrays();
  process.exit(0);
});
// Ended by the host, or by its watchdog when the host died (that SIGTERM may come before the
// channel's close is noticed).
process.on('SIGTERM', () => {
  endStrays();
  process.exit(143);
});

process.once('message', (message) => {
  const boot = (message as { boot: RemoteBoot }).boot;
  enforced = boot.permissions !== undefined && boot.permissionMode === 'enforce';
  if (enforced) installDenialHooks((access) => sendAccess(channel, access, true));
  else if (boot.permissionMode === 'audit') {
    installAuditHooks((access) => sendAccess(channel, access, false), implicitReads(boot.manifest));
  }
  void runRemotePlugin(boot, channel);
});
