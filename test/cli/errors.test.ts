/**
 * How `steward` reports what users and plugin authors get wrong, through the real binary on
 * real plugin folders: where (file:line:column), a hint instead of "no plugins found", advice
 * that is itself valid, counts that add up, usage errors before anything starts, and no stack
 * trace unless asked.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSteward, steward } from '../helpers/cli.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';

const fx = pluginFixturesPerTest();

/** A stack frame as Node prints one. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

const OK = `export default { activate(ctx) { ctx.log.info('ok is up'); } };`;

describe('errors from plugin code carry file:line:column', () => {
  it.each(['inline', 'worker', 'process'])(
    'a SyntaxError at import, in a module the entry imports (%s)',
    async (isolation) => {
      await fx.plugin('ok', { code: OK });
      await fx.plugin('typo', {
        code: `import { helper } from './lib/util.js';\nexport default { activate() { helper(); } };\n`,
        files: { 'lib/util.js': `export function helper() {\n  return 1;\n  const = 2;\n}\n` },
      });
      const run = startSteward(['run', fx.dir, '--isolation', isolation]);
      const line = await run.waitFor(/✗ typo failed \(import\)/, 'stderr');
      expect(line).toMatch(/lib\/util\.js:3:9: Unexpected token/);
      expect(await run.waitFor(/ rejected; /, 'stdout')).toContain('1 active, 1 failed');
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(143);
    },
  );

  it('a throw in activate names the line that threw', async () => {
    await fx.plugin('thrower', {
      code: `export default {\n  activate() {\n    const a = 1;\n      throw new Error('cannot start');\n  },\n};\n`,
    });
    const run = startSteward(['run', fx.dir]);
    const line = await run.waitFor(/✗ thrower failed \(activate\)/, 'stderr');
    expect(line).toMatch(/cannot start \(at .*thrower\/index\.js:4:13\)/);
    run.child.kill('SIGTERM');
    await run.exited;
  });
});

describe('manifests', () => {
  it('invalid JSON gives line and column (run and validate), and the summary counts it rejected', async () => {
    await fx.plugin('ok', { code: OK });
    await fx.write('broken/package.json', '{\n  "name": "broken",\n  "version": 1.0.0\n}\n');
    await fx.write('broken/index.js', OK);
    const validate = await steward(['validate', join(fx.dir, 'broken')]);
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/package\.json: is not valid JSON at line 3:17: /);
    const run = startSteward(['run', fx.dir]);
    expect(await run.waitFor(/ rejected; /, 'stdout')).toContain('1 active, 0 failed, 0 blocked, 1 rejected');
    expect(run.stderr()).toMatch(/broken\/package\.json: is not valid JSON at line 3:17/);
    run.child.kill('SIGTERM');
    await run.exited;
  });

  it('only rejected manifests: exit 1, counting them, not "no plugins found"', async () => {
    await fx.write('broken/package.json', '{ "name": "broken", "steward": { "id": "Broken" } ');
    const run = await steward(['run', fx.dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no plugin to host: 1 manifest(s) rejected');
    expect(run.stderr).not.toContain('no plugins found');
  });

  it('a folder with a package.json but no steward block gets a hint', async () => {
    await fx.write('tool/package.json', JSON.stringify({ name: 'tool', version: '1.0.0' }));
    const run = await steward(['run', fx.dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /tool has a package\.json but no "steward" block: if it is a plugin, add "steward"/,
    );
  });

  it('a plugin folder passed where its parent was meant gets a hint naming the parent', async () => {
    const dir = await fx.plugin('solo', { code: OK, files: { 'lib/x.js': 'export {};' } });
    const run = await steward(['run', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is a plugin folder itself');
    expect(run.stderr).toContain(`pass the folder that contains it instead: ${fx.dir}`);
  });

  it('the advice for an exports target is itself valid', async () => {
    const dir = await fx.plugin('exp', { code: OK });
    const pkg = (exports: string) =>
      JSON.stringify({ name: 'exp', version: '1.0.0', type: 'module', exports, steward: { id: 'exp' } });
    await fx.write('shared.js', OK);
    // Outside the folder: the advice is to move it in, never a "./../" path.
    writeFileSync(join(dir, 'package.json'), pkg('../shared.js'));
    const outside = await steward(['validate', dir]);
    expect(outside.code).toBe(1);
    const text = outside.stdout + outside.stderr;
    expect(text).toContain('outside the plugin folder');
    expect(text).not.toContain('./../');
    // A leading slash meant the folder: the suggested target is applied and validates.
    writeFileSync(join(dir, 'package.json'), pkg('/index.js'));
    const slash = await steward(['validate', dir]);
    const suggested = /write it as "([^"]+)"/.exec(slash.stdout + slash.stderr)?.[1];
    expect(suggested).toBe('./index.js');
    writeFileSync(join(dir, 'package.json'), pkg(suggested!));
    expect((await steward(['validate', dir])).code).toBe(0);
  });
});

describe('counts and words', () => {
  it('"stopped N plugin(s)" counts the plugins that were running, whatever their teardown did', async () => {
    await fx.plugin('base', { code: OK });
    await fx.plugin('user', { code: OK, dependencies: { base: '^1.0.0' } });
    await fx.plugin('bad', { code: `export default { activate() { throw new Error('no'); } };` });
    await fx.plugin('needs-bad', { code: OK, dependencies: { bad: '^1.0.0' } });
    await fx.plugin('messy', {
      code: `export default { activate() {}, deactivate() { throw new Error('messy teardown'); } };`,
    });
    await fx.plugin('walled', { code: OK, isolation: 'worker' });
    const run = startSteward(['run', fx.dir]);
    expect(await run.waitFor(/ rejected; /, 'stdout')).toContain('4 active, 1 failed, 1 blocked, 0 rejected');
    await run.waitFor(/press Ctrl-C/, 'stderr');
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
    expect(run.stderr()).toMatch(/stopped 4 plugin\(s\) in \d+ ms/);
  });

  it('"reloaded" is never printed after a reload that failed', async () => {
    await fx.plugin('hot', { code: OK });
    const run = startSteward(['run', fx.dir, '--watch']);
    await run.waitFor(/watching plugin folders/, 'stderr');
    await fx.write('hot/index.js', `export default { activate() { throw new Error('broken save'); } };`);
    await run.waitFor(/✗ reload of hot failed/, 'stderr');
    expect(run.stderr()).not.toContain('↻ reloaded hot');
    await fx.write('hot/index.js', `export default { activate(ctx) { ctx.log.info('fixed'); } };`);
    await run.waitFor(/↻ reloaded hot/, 'stderr');
    run.child.kill('SIGTERM');
    await run.exited;
  });
});

describe('usage errors before anything starts', () => {
  const marker = (): string => join(fx.root, 'activated');
  const MARKING = () =>
    `import { writeFileSync } from 'node:fs';\nexport default { activate() { writeFileSync(${JSON.stringify(marker())}, 'x'); } };`;

  it('a monitor port out of range: exit 2, no plugin started, no stack', async () => {
    await fx.plugin('mark', { code: MARKING() });
    const run = await steward(['run', fx.dir, '--monitor=70000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--monitor must be an integer from 0 to 65535 (got "70000")');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(marker())).toBe(false);
  });

  it('a monitor port that is taken: exit 2, no plugin started, no stack, no hang', async () => {
    await fx.plugin('mark', { code: MARKING() });
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await steward(['run', fx.dir, `--monitor=${port}`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`port ${port} is already in use; choose another port`);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      expect(existsSync(marker())).toBe(false);
    } finally {
      server.close();
    }
  });

  it('a missing plugin folder is named as missing (exit 2)', async () => {
    const missing = join(fx.root, 'plugins-typo');
    const run = await steward(['run', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`plugin folder ${missing} does not exist`);
  });

  it('validate: a missing path is wrong usage too (exit 2), named, and nothing else is checked', async () => {
    const missing = join(fx.root, 'plugins-typo');
    const validate = await steward(['validate', missing]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toBe(`steward validate: ${missing} does not exist; check the path.\n`);
    const json = await steward(['validate', '--json', missing]);
    expect(json.code).toBe(2);
  });
});

describe('stack traces only when asked', () => {
  it('a failing command prints no stack; --verbose or DEBUG prints it', async () => {
    const file = await fx.write('not-a-folder', 'x');
    for (const args of [
      ['recover', '--dir', file],
      ['inspect', 'http://127.0.0.1:1/?token=0123456789abcdef0123456789abcdef'],
      ['validate', join(fx.root, 'nope')],
    ]) {
      const quiet = await steward(args);
      expect(quiet.code, args.join(' ')).not.toBe(0);
      expect(quiet.stderr + quiet.stdout, args.join(' ')).not.toMatch(STACK_FRAME);
    }
    const verbose = await steward(['recover', '--dir', file, '--verbose']);
    expect(verbose.stderr).toMatch(STACK_FRAME);
    const debug = await steward(['recover', '--dir', file], { DEBUG: 'steward' });
    expect(debug.stderr).toMatch(STACK_FRAME);
  });
});
