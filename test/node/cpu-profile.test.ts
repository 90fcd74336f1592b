/**
 * `profileThread`: a CPU profile of this thread via node:inspector, one at a time, bounded.
 */
import { describe, expect, it } from 'vitest';
import { StewardRangeError } from '../../src/core/index.js';
import { ProfilerBusyError, profileThread } from '../../src/node/cpu-profile.js';

describe('profileThread', () => {
  it('returns a .cpuprofile; a second profile while one runs is refused, and the first is unharmed', {
    timeout: 30_000,
  }, async () => {
    const first = profileThread(300);
    const second = profileThread(300);
    await expect(second).rejects.toBeInstanceOf(ProfilerBusyError);
    await expect(second).rejects.toMatchObject({ code: 'STEWARD_PROFILER_BUSY' });
    const profile = await first;
    expect(profile.nodes.length).toBeGreaterThan(0);
    expect(profile.samples?.length).toBe(profile.timeDeltas?.length);
    // Free again once it is done.
    await expect(profileThread(50)).resolves.toHaveProperty('nodes');
  });

  it('refuses a duration outside 1…60 000 ms', async () => {
    for (const ms of [0, -1, 1.5, 60_001, Number.NaN]) {
      await expect(profileThread(ms)).rejects.toBeInstanceOf(StewardRangeError);
    }
  });
});
