/**
 * Process plugins reloaded many times, checked from the host's side: each reload ends a process
 * and starts one, and nothing of the ended one may stay in the host — no handle (the child's
 * process and its pipes), no pid the watchdog still guards, no listener on `process`. And the
 * plugin process's entry is the one bundled file `npm run build` makes of it.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { childWatchdog } from '../../src/node/watchdog.js';
import { hostPerTest } from '../helpers/host-per-test.js';

const t = hostPerTest();

/** The host's live handles by kind (a child process is a ProcessWrap, each pipe a PipeWrap). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'ProcessWrap' || kind === 'PipeWrap') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Listeners on `process`, by event. */
function processListeners(): Record<string, number> {
  return Object.fromEntries(process.eventNames().map((e) => [String(e), process.listenerCount(e)]));
}

describe('process plugin reloads', () => {
  it('after 50 reloads the host holds nothing of the ended processes', { timeout: 240_000 }, async () => {
    await t.fx.plugin('again', {
      isolation: 'process',
      code: `export default { activate(ctx) { ctx.track({ dispose() {} }, { type: 'memory', size: 64 }); } };`,
    });
    await t.host.start();
    await t.host.reload('again'); // the watchdog and the host's listeners exist from here on
    const before = { handles: handles(), listeners: processListeners() };
    const pids: number[] = [];
    for (let i = 0; i < 50; i++) {
      pids.push(t.host.get('again')!.pid!);
      const info = await t.host.reload('again');
      expect(info.state).toBe('active');
    }
    const current = t.host.get('again')!.pid!;
    expect(new Set([...pids, current]).size).toBe(51);
    // Every ended process is gone, and the watchdog guards the running one alone.
    expect(pids.filter(pidExists)).toEqual([]);
    expect(childWatchdog().watchedPids()).toEqual([current]);
    expect(handles()).toEqual(before.handles);
    expect(processListeners()).toEqual(before.listeners);
  });

  it('runs from one bundled entry file: it loads no Steward module at start', () => {
    const entry = readFileSync(join(import.meta.dirname, '../../dist/plugins/process-entry.cjs'), 'utf8');
    const required = [...entry.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((s) => !isBuiltin(s))).toEqual([]);
    expect(entry).not.toMatch(/^import\s/m);
    // What only a load error needs stays a file of its own, imported when needed.
    expect(entry).toMatch(/import\(["']\.\/metadata-literal\.js["']\)/);
  });
});
