/**
 * A worker plugin's thread starts from the one bundled entry file `npm run build` makes of
 * worker-entry.ts (scripts/bundle-entries.mjs): loading ~50 ES modules at every thread's start was
 * most of what Steward added to a worker plugin's cycle (BENCHMARKS.md, the plugins suite).
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenFor } from '../../src/core/index.js';
import { CHILD_MARK_ENV, childMark } from '../../src/node/child-token.js';
import { hostPerTest } from '../helpers/host-per-test.js';

const BUNDLE = join(import.meta.dirname, '../../dist/plugins/worker-entry.cjs');

const t = hostPerTest();

describe('the worker entry', () => {
  it('is one bundled file: it requires built-ins only and imports no Steward module at start', () => {
    const entry = readFileSync(BUNDLE, 'utf8');
    const required = [...entry.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(required).toContain('node:worker_threads');
    expect(required.filter((s) => !isBuiltin(s))).toEqual([]);
    expect(entry).not.toMatch(/^import\s/m);
    // What only a load error or a CPU profile needs stays a file of its own, imported when needed.
    expect(entry).toMatch(/import\(["']\.\/metadata-literal\.js["']\)/);
  });

  it('is what a worker plugin thread runs: the bundle is the only CommonJS module it loaded', async () => {
    // The plugin asks its own thread's CommonJS loader what it holds: a thread started from the
    // ES module entry would hold nothing, one started from the bundle holds the bundle alone.
    await t.fx.plugin('asks', {
      isolation: 'worker',
      provides: ['loaded'],
      code: `import { createRequire } from 'node:module';
import { threadId } from 'node:worker_threads';
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('loaded'), {
      modules: () => Object.keys(createRequire(import.meta.url).cache),
      thread: () => threadId,
    });
  },
};`,
    });
    const summary = await t.host.start();
    expect(summary.active).toEqual(['asks']);
    const loaded = t.host.manager.services.get(
      tokenFor<{ modules(): Promise<string[]>; thread(): Promise<number> }>('loaded'),
    );
    expect(await loaded.thread()).toBe(t.host.get('asks')!.threadId);
    expect(await loaded.modules()).toEqual([BUNDLE]);
  });

  it("takes the host's child mark from its boot: its children bear it, and no hash is made at its start", async () => {
    await t.fx.plugin('marks', {
      isolation: 'worker',
      provides: ['marks'],
      code: `import { execFile } from 'node:child_process';
import { tokenFor } from 'steward';
// Before any of the plugin's code: what the thread's start loaded.
const cryptoAtStart = process.moduleLoadList.includes('NativeModule crypto');
export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('marks'), {
      cryptoAtStart: () => cryptoAtStart,
      childMark: () =>
        new Promise((resolve, reject) =>
          execFile(process.execPath, ['-e', 'process.stdout.write(process.env.${CHILD_MARK_ENV} ?? "none")'], (error, out) =>
            error ? reject(error) : resolve(out),
          ),
        ),
    });
  },
};`,
    });
    const summary = await t.host.start();
    expect(summary.active).toEqual(['marks']);
    const marks = t.host.manager.services.get(
      tokenFor<{ cryptoAtStart(): Promise<boolean>; childMark(): Promise<string> }>('marks'),
    );
    expect(await marks.childMark()).toBe(childMark());
    // The mark is `<pid>-<hash of the process's identity>`: computed in the thread, it loaded node:crypto.
    expect(await marks.cryptoAtStart()).toBe(false);
  });
});
