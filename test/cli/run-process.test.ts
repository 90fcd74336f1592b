/**
 * `steward run --isolation process` and `--permissions=audit` through the real binary, in a
 * folder of its own (its .steward/ lands there): a SIGKILLed host leaves no plugin process or
 * grandchild behind, and an audit run yields the block that lets the plugin run enforced;
 * a symlink shipped in a plugin folder cannot carry its reads outside its grants (acceptance F2),
 * and a block with an absolute path is judged alike by permissions, validate and run (F3).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { root } from '../helpers/cli.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { eventually, SETTLE_MS } from '../node/fixture-process.js';

const MAIN = join(root, 'dist/cli/main.js');
const CORPUS = join(root, 'test/corpus');

let fx: PluginFixtures;
const started = new Set<ChildProcess>();
beforeEach(async () => {
  fx = await PluginFixtures.create();
});
afterEach(async () => {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
  await fx[Symbol.asyncDispose]();
});

/** `steward <args>` with the fixtures' root as working folder; its output as it comes. */
function steward(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: fx.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  started.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (child.exitCode !== null) throw new Error(`steward exited before printing ${pattern}:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

describe('steward run --isolation process', () => {
  it.runIf(process.platform === 'linux')(
    'a SIGKILLed host leaves no plugin process and no grandchild behind',
    async () => {
      await cp(join(CORPUS, 'forks-grandchild'), join(fx.dir, 'forks-grandchild'), { recursive: true });
      const run = steward(['run', fx.dir, '--isolation', 'process']);
      const line = await run.waitFor(/\[forks-grandchild\] pids /);
      const pids = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, number>;
      expect(pids.plugin).not.toBe(run.child.pid);
      await run.waitFor(/press Ctrl-C to stop/);
      for (const pid of Object.values(pids)) expect(pidExists(pid)).toBe(true);
      run.child.kill('SIGKILL'); // the host alone: no code of it runs
      await run.exited;
      expect(await eventually(() => Object.values(pids).every((pid) => !pidExists(pid)), SETTLE_MS)).toBe(
        true,
      );
    },
  );

  it('audit mode refuses nothing; steward permissions prints the block that then runs enforced', async () => {
    const dir = await fx.plugin('thumbs', {
      isolation: 'process',
      permissions: { fs: { read: ['./'] } },
      code: `export default { async activate(ctx) {
        const own = await ctx.open(new URL('./data/sizes.json', import.meta.url).pathname);
        await own.close();
        const storage = await ctx.storage();
        const out = await ctx.open(storage + '/cache.bin', 'w');
        await out.close();
        const child = ctx.spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
        await new Promise((r) => child.once('exit', r));
        ctx.log.info('thumbs ready');
      } };`,
      files: { 'data/sizes.json': '[64, 128]' },
    });
    const audit = steward(['run', fx.dir, '--permissions=audit']);
    await audit.waitFor(/\[thumbs\] thumbs ready/);
    expect(audit.output()).not.toMatch(/permission denied/);
    audit.child.kill('SIGTERM');
    expect(await audit.exited).toBe(143);

    const printed = steward(['permissions', dir]);
    expect(await printed.exited).toBe(0);
    const text = printed.output();
    expect(text.startsWith('"permissions": {')).toBe(true);
    const block = JSON.parse(text.slice('"permissions": '.length)) as Record<string, unknown>;
    expect(block).toEqual({
      fs: { read: ['./data/sizes.json'], write: ['$STORAGE'] },
      childProcess: true,
      worker: false,
      reason: expect.stringMatching(/reads .*writes \$STORAGE; runs .*\(recorded in audit mode\)/),
    });

    // Enforced, the declared block is too small; the derived one lets the plugin run.
    const strict = steward(['run', fx.dir]);
    await strict.waitFor(/permission denied: /);
    strict.child.kill('SIGTERM');
    await strict.exited;
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      steward: Record<string, unknown>;
    };
    pkg.steward.permissions = block;
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    const enforced = steward(['run', fx.dir]);
    await enforced.waitFor(/\[thumbs\] thumbs ready/);
    expect(enforced.output()).not.toMatch(/permission denied/);
    enforced.child.kill('SIGTERM');
    expect(await enforced.exited).toBe(143);

    const missing = steward(['permissions', 'nobody']);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toMatch(/no audit record for plugin "nobody"/);
  });

  it('a process plugin shipping a symlink to a file outside its grants is rejected, not let read it', async () => {
    await mkdir(join(fx.root, 'outside'));
    const secret = join(fx.root, 'outside', 'secret.txt');
    await writeFile(secret, 'TOP-SECRET');
    const dir = await fx.plugin('sneaky', {
      isolation: 'process',
      permissions: { fs: { read: ['./'], write: ['$STORAGE'] }, reason: 'test' },
      code: `import { readFile } from 'node:fs/promises';
      export default { async activate(ctx) {
        const got = await readFile(new URL('./link', import.meta.url), 'utf8').then((t) => 'READ ' + t, (e) => e.code);
        ctx.log.info('sneaky says ' + got);
      } };`,
    });
    await symlink(secret, join(dir, 'link'));
    const validate = steward(['validate', fx.dir]);
    expect(await validate.exited).toBe(1);
    expect(validate.output()).toMatch(
      /symbolic link .*link points to .*secret\.txt, outside what the plugin may read/,
    );
    const run = steward(['run', fx.dir]);
    expect(await run.exited).toBe(1);
    expect(run.output()).not.toMatch(/TOP-SECRET/);
    expect(run.output()).toMatch(
      /✗ .*package\.json: steward\.permissions: the symbolic link .*link points to .*secret\.txt.*remove the link, or grant its target explicitly/,
    );
    expect(run.output()).toMatch(/no plugin to host: 1 manifest\(s\) rejected/);

    // Granting the target explicitly (an absolute path in a folder the host allows) is the way in.
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      steward: { permissions: { fs: { read: string[] } } };
    };
    pkg.steward.permissions.fs.read.push(secret);
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    const granted = steward(['run', fx.dir, '--permission-root', join(fx.root, 'outside')]);
    await granted.waitFor(/\[sneaky\] sneaky says READ TOP-SECRET/);
    granted.child.kill('SIGTERM');
    expect(await granted.exited).toBe(143);
  });

  it('a block with an absolute path: permissions names the flag, validate and run reject it without it', async () => {
    await mkdir(join(fx.root, 'etc'));
    const host = join(fx.root, 'etc', 'hostname');
    await writeFile(host, 'box');
    const dir = await fx.plugin('thumbs', {
      isolation: 'process',
      code: `import { readFileSync } from 'node:fs';
      export default { async activate(ctx) {
        ctx.log.info('thumbs read ' + readFileSync(${JSON.stringify(host)}, 'utf8'));
      } };`,
    });
    const audit = steward(['run', fx.dir, '--permissions=audit']);
    await audit.waitFor(/\[thumbs\] thumbs read box/);
    audit.child.kill('SIGTERM');
    expect(await audit.exited).toBe(143);
    const printed = steward(['permissions', dir]);
    expect(await printed.exited).toBe(0);
    const text = printed.output();
    expect(text).toMatch(new RegExp(`note: ${host} is an absolute path .*--permission-root ${host}`));
    const block = JSON.parse(text.slice('"permissions": '.length, text.indexOf('\nnote:'))) as {
      fs: { read: string[] };
    };
    expect(block.fs.read).toEqual([host]);

    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      steward: Record<string, unknown>;
    };
    pkg.steward.permissions = block;
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
    const validate = steward(['validate', fx.dir]);
    expect(await validate.exited).toBe(1);
    expect(validate.output()).toMatch(/steward\.permissions\.fs\.read\[0\]: the absolute path .* is outside/);
    const allowed = steward(['validate', fx.dir, '--permission-root', host]);
    expect(await allowed.exited).toBe(0);
    expect(allowed.output()).toMatch(/1 plugin\(s\) valid/);

    const run = steward(['run', fx.dir]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/no plugin to host: 1 manifest\(s\) rejected/);
    expect(run.output()).not.toMatch(/failed \(import\)/);
    const enforced = steward(['run', fx.dir, '--permission-root', host]);
    await enforced.waitFor(/\[thumbs\] thumbs read box/);
    await enforced.waitFor(/1 active, 0 failed, 0 blocked, 0 rejected/);
    enforced.child.kill('SIGTERM');
    expect(await enforced.exited).toBe(143);
  });
});
