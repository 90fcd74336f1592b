/**
 * The plugin side's answers to the host's `@diagnostics` requests (remote-protocol.ts), run in
 * the plugin's own thread (worker) or process:
 * - `profile [ms]`: a CPU profile of this thread, through its own `node:inspector` session
 *   (cpu-profile.ts: one at a time, refused while this process's inspector is open to a debugger);
 * - `heap [id]`: a heap snapshot of this isolate (`v8.getHeapSnapshot()`), sent in pieces as
 *   `heap-chunk` events, each waiting for the channel (a process's IPC) to take the previous one.
 * Both answer between the plugin's own tasks: a plugin that never yields (a synchronous endless
 * loop) does not answer, and the host's deadline reports it.
 */
import { getHeapSnapshot } from 'node:v8';
import { StewardError } from '../core/index.js';
import type { MessageChannelEnd, RemoteEvent } from './remote-protocol.js';

/** Serve one `@diagnostics` request of plugin `plugin` over `channel`. */
export async function serveDiagnostics(
  plugin: string,
  member: string | null,
  args: unknown[],
  channel: MessageChannelEnd,
): Promise<unknown> {
  switch (member) {
    case 'profile':
      return profileHere(plugin, args[0] as number);
    case 'heap':
      return sendHeap(args[0] as number, channel);
    default:
      throw new StewardError(`Unknown diagnostics request "${member}".`, { code: 'STEWARD_PROTOCOL' });
  }
}

async function profileHere(plugin: string, ms: number): Promise<unknown> {
  // Node's permission model refuses every inspector session (and granting it would hand the
  // plugin a way around its permissions): say so, rather than the inspector's bare refusal.
  if ((process as { permission?: unknown }).permission !== undefined) {
    throw new StewardError(
      `Plugin "${plugin}" runs in a process under Node's permission model (its manifest declares permissions), ` +
        'which refuses the inspector a CPU profile needs. Run the host with `--permissions audit` to profile it, or use worker isolation.',
      { code: 'STEWARD_PROFILE_UNSUPPORTED' },
    );
  }
  // Loaded on demand: most plugin threads never profile.
  const { profileThread } = await import('../node/cpu-profile.js');
  return profileThread(ms);
}

async function sendHeap(id: number, channel: MessageChannelEnd): Promise<number> {
  let bytes = 0;
  for await (const chunk of getHeapSnapshot()) {
    const data = chunk as Uint8Array;
    bytes += data.byteLength;
    const event: RemoteEvent = { t: 'heap-chunk', id, data };
    if (channel.sendAndWait) await channel.sendAndWait(event);
    else channel.send(event);
  }
  return bytes;
}
