/**
 * `steward new plugin <id>` through the real binary: the folder it writes passes
 * `steward validate` and runs under `steward run` as written — in a folder where Steward is
 * not even installed (the plugin imports nothing at run time) — and a bad id or an existing
 * folder leaves the disk as it was.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { root, steward } from '../helpers/cli.js';
import { killAllFixtures, startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // relative to test/fixtures/node

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-new-'));
});
afterEach(() => {
  killAllFixtures();
  rmSync(dir, { recursive: true, force: true });
});

describe('steward new plugin', () => {
  it('writes a plugin folder that validates and runs as written, releasing everything it took', async () => {
    const made = await steward(['new', 'plugin', 'hello', '--dir', dir]);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const shown = relative(root, join(dir, 'hello'));
    expect(made.stdout).toBe(
      `created ${shown}/package.json\ncreated ${shown}/index.js\n\n` +
        `next:\n  steward validate ${shown}\n  steward run ${relative(root, dir)}\n`,
    );
    expect(readdirSync(dir)).toEqual(['hello']);
    const manifest = JSON.parse(readFileSync(join(dir, 'hello/package.json'), 'utf8')) as {
      steward: { id: string };
    };
    expect(manifest.steward.id).toBe('hello');

    const valid = await steward(['validate', join(dir, 'hello')]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/hello\s+0\.1\.0\s+inline\s+-\s+ok/);

    const run = startFixture(CLI, ['run', dir, '--monitor']);
    const url = new URL((await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length));
    expect(run.stdout()).toMatch(/✓\s+hello\s+0\.1\.0\s+active\s+inline\s+3\s+64\.0 KiB/);
    const snapshot = (await (
      await fetch(`${url.origin}/api/snapshot`, {
        headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
      })
    ).json()) as { plugins: Array<{ id: string; state: string }> };
    expect(snapshot.plugins.map((p) => [p.id, p.state])).toEqual([['hello', 'active']]);
    // Not a terminal: no shortcuts, the usual hint.
    await run.waitFor(/press Ctrl-C to stop/, 'stderr');
    expect(run.stderr()).not.toContain('shortcuts:');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    expect(run.stderr()).toMatch(/\[hello\] deactivating\n\[hello\] released after \d+ tick\(s\)/);
    expect(run.stderr()).toMatch(/stopped 1 plugin\(s\) in \d+ ms: 3 resource\(s\) released, 0 failed/);
  });

  it('never touches an existing folder', async () => {
    await mkdir(join(dir, 'hello'));
    writeFileSync(join(dir, 'hello/notes.txt'), 'mine');
    const made = await steward(['new', 'plugin', 'hello', '--dir', dir]);
    expect(made.code).toBe(2); // wrong usage, as README's exit codes say
    expect(made.stderr).toContain('hello already exists; nothing was written');
    expect(readdirSync(join(dir, 'hello'))).toEqual(['notes.txt']);
    expect(readdirSync(dir)).toEqual(['hello']);
  });

  it('refuses an id the manifest would reject, saying why, and leaves nothing behind', async () => {
    const made = await steward(['new', 'plugin', 'My Plugin', '--dir', dir]);
    expect(made.code).toBe(2);
    expect(made.stderr).toContain('"My Plugin" cannot be a plugin id');
    expect(made.stderr).toMatch(/steward\.id: must match .*use a lowercase id such as/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is a usage error without "plugin <id>", with extra words, or into a missing folder', async () => {
    const cases = [
      ['new'],
      ['new', 'widget', 'x'],
      ['new', 'plugin'],
      ['new', 'plugin', 'a', 'b'],
      ['new', 'plugin', 'a', '--dir', join(dir, 'nope')],
      ['new', 'plugin', 'a', '--force'],
    ];
    const runs = await Promise.all(cases.map((args) => steward(args)));
    runs.forEach((made, i) => {
      expect(made.code, cases[i]!.join(' ')).toBe(2);
      expect(made.stderr, cases[i]!.join(' ')).toMatch(/^steward new/);
    });
    expect(existsSync(join(dir, 'nope'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
