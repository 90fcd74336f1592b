/**
 * The loop watchdog, from outside: a real Node process (running the built package) blocks its
 * event loop in a module of its own folder. While the loop is still blocked, the watchdog thread
 * writes its line to stderr naming that folder's owner, the function and the line of the loop;
 * when the loop runs again the process gets the block with a `.cpuprofile` and the blame.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { watchEventLoop } from '../../src/node/loop-watchdog.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'steward-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPIN = `export function spin(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1); // the loop
  return x;
}
`;
const RUN = (watchdog: string) => `import { watchEventLoop } from ${JSON.stringify(watchdog)};
import { spin } from './plugin/spin.mjs';
const watchdog = watchEventLoop({
  thresholdMs: 300,
  profileMs: 500,
  reportToStderr: true,
  onBlock: (block) => console.log(JSON.stringify({ block })),
  onBlockEnd: (end) => { console.log(JSON.stringify({ end })); watchdog.close(); },
});
watchdog.setRoots([{ id: 'spinner', dir: ${JSON.stringify(join(dir, 'plugin'))} }, { id: 'neighbour', dir: ${JSON.stringify(join(dir, 'other'))} }]);
setTimeout(() => { console.log('blocking'); spin(4000); }, 1500);
`;

describe('watchEventLoop', () => {
  it('blames a blocked loop on the folder whose code blocks it, while it is still blocked', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'plugin'), { recursive: true });
    writeFileSync(join(dir, 'plugin', 'spin.mjs'), SPIN);
    writeFileSync(join(dir, 'run.mjs'), RUN(pathToFileURL(join(ROOT, 'dist/node/loop-watchdog.js')).href));
    const child = spawn(process.execPath, [join(dir, 'run.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stderrWhileBlocked: string | undefined;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      // The loop blocks for 4 s; the watchdog's line must come before the process says anything else.
      if (!stdout.includes('"block"')) stderrWhileBlocked ??= stderr;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stderrWhileBlocked).toMatch(
      new RegExp(
        `^steward: the event loop has been blocked for \\d+\\.\\d s: plugin "spinner" took (9[5-9]|100) % of \\d+ samples \\(spin at ${join(dir, 'plugin', 'spin.mjs').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4\\)\\.\\n$`,
      ),
    );
    const lines = stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l));
    const { block } = lines[0];
    const { end } = lines[1];
    expect(block.error).toBeUndefined();
    expect(block.blame.owners.map((o: { id: string }) => o.id)).toEqual(['spinner']);
    expect(block.blame.owners[0].hottest).toMatchObject({ functionName: 'spin', line: 4 });
    // The profile is a .cpuprofile DevTools opens: nodes with call frames, samples, time deltas.
    expect(block.profile.samples.length).toBe(block.blame.total);
    expect(block.profile.timeDeltas.length).toBe(block.profile.samples.length);
    expect(
      block.profile.nodes.some(
        (n: { callFrame: { functionName: string } }) => n.callFrame.functionName === 'spin',
      ),
    ).toBe(true);
    expect(end.blockedMs).toBeGreaterThanOrEqual(3000);
    expect(readFileSync(join(dir, 'plugin', 'spin.mjs'), 'utf8').split('\n')[3]).toContain('// the loop');
  });

  it('refuses impossible options with an error naming the option', () => {
    expect(() => watchEventLoop({ thresholdMs: 0 })).toThrow(/thresholdMs must be a whole number/);
    expect(() => watchEventLoop({ profileMs: 2 ** 31 })).toThrow(/profileMs/);
  });
});
