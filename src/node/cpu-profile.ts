/**
 * A CPU profile of this thread, on demand: `node:inspector`'s `Profiler.start`, wait, then
 * `Profiler.stop` (the sampling runs on V8's profiler thread; this thread keeps working). Code
 * optimized before the start would be sampled as its caller, so the start deoptimizes all code
 * once (see below); it is optimized again while the profile records.
 *
 * One at a time per process: while one runs, another is refused with {@link ProfilerBusyError},
 * and so is every profile while the process's inspector is open (`--inspect`, `inspector.open()`):
 * a debugger may be attached, and it would see the profile. Nothing else is touched.
 */
import inspector from 'node:inspector';
import { StewardError, StewardRangeError } from '../core/index.js';
import type { CpuProfile } from './profile-blame.js';

/**
 * A CPU profile cannot be taken now: another one is running, or the inspector is open to a
 * debugger. Code `STEWARD_PROFILER_BUSY`.
 */
export class ProfilerBusyError extends StewardError {
  override name = 'ProfilerBusyError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PROFILER_BUSY';
}

let running = false;

/** Longest profile {@link profileThread} takes, ms. */
export const MAX_PROFILE_MS = 60_000;

type Post = (method: string, params?: object) => Promise<unknown>;

/**
 * Profile this thread for `ms` (1…60 000), sampling every `intervalUs` µs (default 1000), and
 * resolve with the `.cpuprofile`. Rejects with
 * ProfilerBusyError when a profile is running or the inspector is open, StewardRangeError for a
 * bad `ms`, and a StewardError (code `STEWARD_PROFILE_FAILED`) when the inspector refuses to
 * start or stop it.
 */
export async function profileThread(ms: number, intervalUs = 1000): Promise<CpuProfile> {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_PROFILE_MS) {
    throw new StewardRangeError(
      `profileThread(): ms must be an integer from 1 to ${MAX_PROFILE_MS} (got ${ms}).`,
    );
  }
  if (running) {
    throw new ProfilerBusyError('Another CPU profile of this process is running; try again when it is done.');
  }
  const url = inspector.url();
  if (url !== undefined) {
    throw new ProfilerBusyError(
      `The inspector of this process is open (${url}): a debugger may be attached. Profile from the debugger, or run without --inspect.`,
    );
  }
  running = true;
  const session = new inspector.Session();
  const post: Post = (method, params) =>
    new Promise((resolve, reject) => {
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result)));
    });
  try {
    try {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: intervalUs });
      await post('Profiler.start');
      // Code optimized before the profile started is sampled as its caller (a hot timer callback
      // shows up as Node's `listOnTimeout`): deoptimize everything once, so what runs from now on
      // is compiled while the profiler is recording. Switching to precise coverage and back does
      // that (it costs a moment of re-optimization); not while a coverage tool collects coverage.
      if (process.env.NODE_V8_COVERAGE === undefined) {
        await post('Profiler.startPreciseCoverage', { callCount: false, detailed: false });
        await post('Profiler.stopPreciseCoverage');
      }
    } catch (error) {
      throw new StewardError(`Cannot start a CPU profile: ${(error as Error).message}`, {
        cause: error,
        code: 'STEWARD_PROFILE_FAILED',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
      return profile;
    } catch (error) {
      throw new StewardError(`Cannot stop the CPU profile: ${(error as Error).message}`, {
        cause: error,
        code: 'STEWARD_PROFILE_FAILED',
      });
    }
  } finally {
    running = false;
    try {
      session.disconnect();
    } catch {
      // Already disconnected.
    }
  }
}
