/**
 * `steward run --watch` against the ways editors and tools really save a file: in place,
 * write-then-rename, `sed -i`, vim's backup-and-rename, `git checkout`. After every change the
 * running code is the file's — checked through the plugin's own log line, through the real binary.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSteward } from '../helpers/cli.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';

const fx = pluginFixturesPerTest();

const pkgCode = (v: string) => `export default { activate(ctx) { ctx.log.info('running ${v}'); } };\n`;
const moduleCode = (v: string) =>
  `export const metadata = { id: 'solo', version: '1.0.0' };\nexport default { activate(ctx) { ctx.log.info('running ${v}'); } };\n`;

/** The ways a file gets replaced, each writing `content` to `file`. */
const SAVES: Array<[string, (file: string, content: string) => void]> = [
  ['in place', (file, content) => writeFileSync(file, content)],
  [
    'write-then-rename',
    (file, content) => {
      writeFileSync(`${file}.tmp-${process.pid}`, content);
      renameSync(`${file}.tmp-${process.pid}`, file);
    },
  ],
  [
    'sed -i',
    (file, content) => {
      const current = readFileSync(file, 'utf8').match(/running (v\d+)/)![1]!;
      const next = content.match(/running (v\d+)/)![1]!;
      execFileSync('sed', ['-i', `s/running ${current}/running ${next}/`, file]);
    },
  ],
  [
    "vim's backup-and-rename",
    (file, content) => {
      // What vim does with backupcopy=no: move the original aside, write a new file, drop the backup.
      renameSync(file, `${file}~`);
      writeFileSync(file, content);
      unlinkSync(`${file}~`);
    },
  ],
];

async function exercise(dir: string, file: string, code: (v: string) => string, id: string): Promise<void> {
  const run = startSteward(['run', dir, '--watch']);
  await run.waitFor(new RegExp(`\\[${id}\\] running v0`), 'stderr');
  await run.waitFor(/watching plugin folders/, 'stderr');
  let n = 0;
  // Twice round, so every kind of save also comes after every other kind.
  for (const round of [1, 2]) {
    for (const [how, save] of SAVES) {
      n++;
      save(file, code(`v${n}`));
      let timer: NodeJS.Timeout | undefined;
      const line = await Promise.race([
        run.waitFor(new RegExp(`\\[${id}\\] running v${n}\\b`), 'stderr'),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`missed (${how}, round ${round})`), 20_000);
        }),
      ]);
      clearTimeout(timer);
      expect(line, run.stderr()).toContain(`running v${n}`);
    }
  }
  run.child.kill('SIGTERM');
  expect((await run.exited).code).toBe(143);
}

describe('steward run --watch and atomic saves', () => {
  it('a package plugin: every kind of save, after every other, runs the new code', async () => {
    await fx.plugin('hot', { code: pkgCode('v0') });
    await exercise(fx.dir, join(fx.dir, 'hot', 'index.js'), pkgCode, 'hot');
  });

  it('a single-module plugin: every kind of save, after every other, runs the new code', async () => {
    await fx.write('solo.js', moduleCode('v0'));
    await exercise(fx.dir, join(fx.dir, 'solo.js'), moduleCode, 'solo');
  });

  it('a folder created after the start is watched too', async () => {
    await fx.plugin('grows', { code: pkgCode('v0') });
    const run = startSteward(['run', fx.dir, '--watch']);
    await run.waitFor(/\[grows\] running v0/, 'stderr');
    await run.waitFor(/watching plugin folders/, 'stderr');
    await fx.write('grows/later/deeper/label.js', `export const label = 'v1';\n`);
    await fx.write(
      'grows/index.js',
      `import { label } from './later/deeper/label.js';\nexport default { activate(ctx) { ctx.log.info('running ' + label); } };\n`,
    );
    await run.waitFor(/\[grows\] running v1\b/, 'stderr');
    writeFileSync(join(fx.dir, 'grows/later/deeper/label.js'), `export const label = 'v2';\n`);
    await run.waitFor(/\[grows\] running v2\b/, 'stderr');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
  });

  it('a file a package plugin imports, restored by git checkout, runs the restored code', async () => {
    await fx.plugin('gitted', {
      code: `import { label } from './lib/label.js';\nexport default { activate(ctx) { ctx.log.info('running ' + label); } };\n`,
      files: { 'lib/label.js': `export const label = 'v0';\n` },
    });
    const dir = join(fx.dir, 'gitted');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: dir,
        stdio: 'pipe',
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'v0');
    const run = startSteward(['run', fx.dir, '--watch']);
    await run.waitFor(/\[gitted\] running v0/, 'stderr');
    await run.waitFor(/watching plugin folders/, 'stderr');
    const lib = join(dir, 'lib', 'label.js');
    for (let n = 1; n <= 3; n++) {
      const tmp = `${lib}.tmp`;
      writeFileSync(tmp, `export const label = 'v${n}';\n`);
      renameSync(tmp, lib);
      await run.waitFor(new RegExp(`\\[gitted\\] running v${n}\\b`), 'stderr');
      git('checkout', '--', 'lib/label.js');
      // Back to v0: the count of "running v0" lines grows by one.
      await expect
        .poll(() => run.stderr().match(/\[gitted\] running v0\b/g)?.length, { timeout: 20_000, interval: 50 })
        .toBe(n + 1);
    }
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
  });
});
