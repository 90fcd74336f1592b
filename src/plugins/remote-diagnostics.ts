/**
 * The plugin side's answers to the host's `@diagnostics` requests (remote-protocol.ts), run in
 * the plugin's own thread (worker) or process:
 * - `profile [ms]`: a CPU profile of this thread, through its own `node:inspector` session
 *   (cpu-profile.ts: one at a time, refused while this process's inspector is open to a debugger);
 * - `heap [id]`: a heap snapshot of this isolate (`v8.getHeapSnapshot()`), sent in pieces as
 *   `heap-chunk` events, at most {@link HEAP_WINDOW} of them ahead of what the host has passed on
 *   (`heap-ack [id]`, one per piece): a slow reader at the host's end slows the sending here, so
 *   the snapshot never piles up in the host's memory.
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
    case 'heap-ack':
      acknowledge(args[0] as number);
      return undefined;
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

/** Pieces of a heap snapshot sent ahead of the host's acknowledgements, at most. */
export const HEAP_WINDOW = 16;

/** Size of a piece, bytes (V8 hands the snapshot over in one buffer once it is serialized). */
export const HEAP_PIECE_BYTES = 256 * 1024;

/** Per snapshot being sent: pieces not yet acknowledged, and who waits for the next acknowledgement. */
const inFlight = new Map<number, { unacked: number; wake: (() => void) | undefined }>();

function acknowledge(id: number): void {
  const flight = inFlight.get(id);
  if (flight === undefined) return;
  flight.unacked--;
  const wake = flight.wake;
  flight.wake = undefined;
  wake?.();
}

async function sendHeap(id: number, channel: MessageChannelEnd): Promise<number> {
  const flight: { unacked: number; wake: (() => void) | undefined } = { unacked: 0, wake: undefined };
  inFlight.set(id, flight);
  let bytes = 0;
  try {
    for await (const chunk of getHeapSnapshot()) {
      const buffer = chunk as Uint8Array;
      for (let at = 0; at < buffer.byteLength; at += HEAP_PIECE_BYTES) {
        while (flight.unacked >= HEAP_WINDOW) await new Promise<void>((resolve) => (flight.wake = resolve));
        // A copy of the piece alone: a view would take its whole buffer through structured clone.
        const data = buffer.slice(at, Math.min(buffer.byteLength, at + HEAP_PIECE_BYTES));
        bytes += data.byteLength;
        flight.unacked++;
        const event: RemoteEvent = { t: 'heap-chunk', id, data };
        if (channel.sendAndWait) await channel.sendAndWait(event);
        else channel.send(event);
      }
    }
  } finally {
    inFlight.delete(id);
  }
  return bytes;
}
