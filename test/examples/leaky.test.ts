/**
 * The leaky example does leak: what it created without `ctx` (an interval, a SIGUSR2
 * listener) survives its unload, while what it created through `ctx` goes. It runs in a child
 * process so the leak cannot reach the test runner.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXTRA_DIR } from './examples-host.js';

const run = promisify(execFile);

describe('leaky example', () => {
  it('leaves its forgotten interval and SIGUSR2 listener alive after unload; its ctx timer goes', async () => {
    const storage = await mkdtemp(join(tmpdir(), 'steward-leaky-'));
    try {
      const { stdout } = await run(
        process.execPath,
        [join(import.meta.dirname, 'fixtures/leaky-host.mjs'), EXTRA_DIR, storage],
        { timeout: 45_000 }, // a hang guard, not a speed claim
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(result.active).toEqual(['leaky']);
      expect(result.during.resources).toBe(1); // only the ctx heartbeat is in the ledger
      expect(result.during.timers - result.before.timers).toBe(2); // heartbeat + forgotten interval
      expect(result.after).toMatchObject({ components: 0, state: 'unloaded' });
      expect(result.after.timers - result.before.timers).toBe(1); // the forgotten one is still there
      expect(result.after.sigusr2 - result.before.sigusr2).toBe(1);
      expect(result.signals).toBe(1); // and it still runs the unloaded plugin's code
    } finally {
      await rm(storage, { recursive: true, force: true });
    }
  });
});
