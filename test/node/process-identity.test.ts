import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pidExists, processIdentity, processLiveness } from '../../src/node/index.js';

describe('process identity', () => {
  it('is stable for a live process and differs between processes', async () => {
    const own = processIdentity(process.pid);
    expect(own).toBeDefined();
    expect(processIdentity(process.pid)).toBe(own);
    if (process.platform === 'linux') expect(own).toMatch(/^linux:[0-9a-f-]+:\d+$/);
    const child = spawn('sleep', ['10']);
    try {
      const identity = processIdentity(child.pid!);
      expect(identity).toBeDefined();
      expect(identity).not.toBe(own);
      expect(processLiveness(child.pid!, identity)).toBe('alive');
      // The same pid with another start time is another process: never "alive".
      expect(processLiveness(child.pid!, 'linux:00000000-0000-0000-0000-000000000000:1')).toBe('dead');
      expect(processLiveness(child.pid!, undefined)).toBe('unknown');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(pidExists(child.pid!)).toBe(false);
    expect(processLiveness(child.pid!, own)).toBe('dead');
  });

  it('answers "no such process" for impossible pids', () => {
    expect(processIdentity(0)).toBeUndefined();
    expect(processIdentity(-5)).toBeUndefined();
    expect(processIdentity(2 ** 31)).toBeUndefined();
    expect(pidExists(2 ** 31)).toBe(false);
  });
});
