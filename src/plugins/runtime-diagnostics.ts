/**
 * The host's side of diagnostics of a remote plugin (worker or process): a CPU profile of its own
 * thread and a heap snapshot of its own isolate, asked for with `@diagnostics` requests
 * (remote-protocol.ts, remote-diagnostics.ts). Every request has a deadline — a plugin whose
 * thread never yields cannot answer — and a plugin that dies meanwhile fails it with a
 * StewardError that says so; nothing else of the runtime is touched.
 */
import { PassThrough, type Readable } from 'node:stream';
import { StewardError } from '../core/index.js';
import type { CpuProfile } from '../node/profile-blame.js';
import { DIAGNOSTICS } from './remote-protocol.js';
import { ChannelClosedError, type RpcEndpoint } from './rpc.js';

/** How long a plugin's side has to start answering, on top of the profile's own time, ms. */
export const DIAGNOSTICS_ANSWER_MS = 30_000;

/** Who is asked: the plugin, its tier, and why its side is gone if it is. */
export interface DiagnosticsTarget {
  readonly id: string;
  readonly isolation: string;
  readonly rpc: RpcEndpoint;
  /** Why its side ended on its own, once it has. */
  readonly crashError: () => Error | undefined;
}

/**
 * Profile the plugin's own thread for `ms`. Rejects with what its side refused with
 * (`STEWARD_PROFILER_BUSY`, `STEWARD_PROFILE_UNSUPPORTED`), or `STEWARD_PROFILE_FAILED` when it
 * died or did not answer in time.
 */
export async function profileRemote(target: DiagnosticsTarget, ms: number): Promise<CpuProfile> {
  const answer = target.rpc.request(DIAGNOSTICS, 'profile', [ms]);
  try {
    return (await withDeadline(answer, ms + DIAGNOSTICS_ANSWER_MS, () =>
      failure(
        target,
        'STEWARD_PROFILE_FAILED',
        `did not answer a CPU profile request within ${(ms + DIAGNOSTICS_ANSWER_MS) / 1000} s (is its thread blocked?)`,
      ),
    )) as CpuProfile;
  } catch (error) {
    throw gone(target, error, 'STEWARD_PROFILE_FAILED', 'while it was being profiled');
  }
}

/**
 * The plugin's heap snapshots streamed over its channel: {@link open} asks for one and resolves
 * with a stream of it once the first piece arrived; {@link chunk} feeds the pieces.
 */
export class RemoteHeapStreams {
  #next = 0;
  readonly #open = new Map<
    number,
    { readonly stream: PassThrough; readonly started: () => void; readonly ack: () => void }
  >();

  /**
   * Ask `target` for a heap snapshot. Resolves with the snapshot's stream once it starts; rejects
   * with `STEWARD_HEAP_SNAPSHOT_FAILED` when the plugin's side refuses, dies or does not start
   * within {@link DIAGNOSTICS_ANSWER_MS}. A stream cut off later (the plugin died) errors.
   */
  async open(target: DiagnosticsTarget): Promise<Readable> {
    const id = ++this.#next;
    const stream = new PassThrough();
    // A snapshot cut off before its reader listens must not become an uncaught 'error'; readers
    // (pipeline, for await) still see it.
    stream.on('error', () => undefined);
    let started!: () => void;
    const first = new Promise<void>((resolve) => (started = resolve));
    // One acknowledgement per piece once the reader took it (its side sends a window ahead).
    const ack = (): void => {
      target.rpc.request(DIAGNOSTICS, 'heap-ack', [id]).catch(() => undefined);
    };
    this.#open.set(id, { stream, started, ack });
    const settle = (error?: unknown): void => {
      if (!this.#open.delete(id)) return;
      if (error) stream.destroy(error as Error);
      else stream.end();
    };
    const answer = target.rpc.request(DIAGNOSTICS, 'heap', [id]);
    answer.then(
      () => settle(),
      (error: unknown) =>
        settle(
          gone(target, error, 'STEWARD_HEAP_SNAPSHOT_FAILED', 'while its heap snapshot was being taken'),
        ),
    );
    try {
      await withDeadline(Promise.race([first, answer]), DIAGNOSTICS_ANSWER_MS, () =>
        failure(
          target,
          'STEWARD_HEAP_SNAPSHOT_FAILED',
          `did not start its heap snapshot within ${DIAGNOSTICS_ANSWER_MS / 1000} s (is its thread blocked?)`,
        ),
      );
    } catch (error) {
      const reported = gone(
        target,
        error,
        'STEWARD_HEAP_SNAPSHOT_FAILED',
        'while its heap snapshot was being taken',
      );
      settle();
      throw reported;
    }
    return stream;
  }

  /** A piece of snapshot `id` arrived. */
  chunk(id: number, data: Uint8Array): void {
    const entry = this.#open.get(id);
    if (entry === undefined || entry.stream.destroyed) return; // its reader went away
    entry.started();
    if (entry.stream.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) entry.ack();
    else entry.stream.once('drain', entry.ack);
  }
}

/** The codes diagnostics fail with (of a profile, of a heap snapshot). */
type DiagnosticsCode = 'STEWARD_PROFILE_FAILED' | 'STEWARD_HEAP_SNAPSHOT_FAILED';

function failure(target: DiagnosticsTarget, code: DiagnosticsCode, what: string): StewardError {
  return new StewardError(`Plugin "${target.id}" (${target.isolation}) ${what}.`, {
    code: code, // one of DiagnosticsCode: stable, documented in docs/architecture.md
  });
}

/** `error` as the caller should see it: a dead plugin's side said so, anything else as it came. */
function gone(target: DiagnosticsTarget, error: unknown, code: DiagnosticsCode, when: string): unknown {
  // A side that died on its own fails pending requests with why it died, else with ChannelClosedError.
  const crash = target.crashError();
  if (!(error instanceof ChannelClosedError) && (crash === undefined || error !== crash)) return error;
  return new StewardError(
    `The ${target.isolation} of plugin "${target.id}" ended ${when}: ${(crash ?? (error as Error)).message}`,
    { cause: error, code: code }, // one of DiagnosticsCode
  );
}

function withDeadline<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
