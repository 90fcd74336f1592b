import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ResourceManager, UseAfterCleanupError } from '../../src/core/index.js';
import { type DurableResources, LockHeldError, openDurable, readJournal } from '../../src/node/index.js';

const root = mkdtempSync(join(tmpdir(), 'steward-durable-test-'));
let n = 0;
let durable: DurableResources | undefined;
afterEach(() => durable?.close());
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function open(): Promise<DurableResources> {
  durable = await openDurable({ dir: join(root, `journal-${++n}`), tempRoot: root, app: 'test' });
  return durable;
}

const journaled = (d: DurableResources) => [...readJournal(d.journal.path).live.values()];

describe('durable resources', () => {
  it('journal a temp folder and a temp file while they exist, and remove both on cleanup', async () => {
    const d = await open();
    const manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const dir = d.tempDir(plugin, { prefix: 'cache-' }).value!;
    const file = d.tempFile(plugin, { suffix: '.json', data: '{"a":1}' }).value!;
    expect(dir).toMatch(/cache-[0-9a-f]{16}$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'inner'), 'x');
    expect(journaled(d)).toEqual([
      { kind: 'dir', path: dir },
      { kind: 'file', path: file },
    ]);
    await plugin.cleanup();
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(journaled(d)).toEqual([]);
  });

  it('take a lock file, refuse it to a second taker while held, and release it', async () => {
    const d = await open();
    const manager = new ResourceManager();
    const a = manager.register('a');
    const b = manager.register('b');
    const path = join(root, `app-${n}.lock`);
    const lock = d.lockFile(a, path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(() => d.lockFile(b, path)).toThrow(LockHeldError);
    expect(() => d.lockFile(b, path)).toThrow(new RegExp(`held by process ${process.pid}, which is alive`));
    expect(journaled(d)).toEqual([{ kind: 'lock', path, token: expect.any(String) }]);
    lock.release();
    expect(existsSync(path)).toBe(false);
    d.lockFile(b, path).release();
  });

  it('take over the lock of a dead process', async () => {
    const d = await open();
    const manager = new ResourceManager();
    const path = join(root, `stale-${n}.lock`);
    writeFileSync(path, JSON.stringify({ pid: 2 ** 30, identity: 'linux:x:1', token: 'old' }));
    const lock = d.lockFile(manager.register('p'), path);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('refuse bad names and components that are gone, creating nothing', async () => {
    const d = await open();
    const manager = new ResourceManager();
    const plugin = manager.register('plugin');
    expect(() => d.tempDir(plugin, { prefix: '../x' })).toThrow(
      /prefix must be a string without path separators/,
    );
    expect(() => d.tempFile(plugin, { suffix: 'a/b' })).toThrow(/suffix/);
    await plugin.cleanup();
    expect(() => d.tempDir(plugin)).toThrow(UseAfterCleanupError);
    expect(journaled(d)).toEqual([]);
    d.close();
    expect(() => d.tempDir(manager.register('other'))).toThrow(/closed; call openDurable\(\) again/);
  });

  it('close() deletes an empty journal and keeps one that still lists resources', async () => {
    const d = await open();
    const manager = new ResourceManager();
    d.tempDir(manager.register('plugin'));
    d.close();
    expect(existsSync(d.journal.path)).toBe(true);
    const e = await open();
    expect(e.recovery?.journals).toBe(0); // same process: its own journal is alive, not recovered
    e.close();
    expect(existsSync(e.journal.path)).toBe(false);
  });
});
