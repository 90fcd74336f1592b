import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { steward } from '../helpers/cli.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
beforeEach(async () => {
  fx = await PluginFixtures.create();
});
afterEach(async () => {
  await fx[Symbol.asyncDispose]();
});

const CODE = 'export default { activate() { throw new Error("validate must never run plugin code"); } };';

describe('steward validate', () => {
  it('accepts valid plugins, prints the activation order, and runs no plugin code', async () => {
    await fx.plugin('base', { code: CODE });
    await fx.plugin('user', { code: CODE, dependencies: { base: '^1.0.0' } });
    const run = await steward(['validate', fx.dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/base\s+1\.0\.0\s+inline\s+-\s+ok/);
    expect(run.stdout).toMatch(/user\s+1\.0\.0\s+inline\s+base\s+ok/);
    expect(run.stdout).toContain('2 plugin(s) valid; activation order: base → user');
  });

  it('reports each bad field, missing dependencies and cycles with exit code 1', async () => {
    await fx.write(
      'bad/package.json',
      JSON.stringify({ name: 'bad', version: 'one', steward: { id: 'Bad Id' } }),
    );
    await fx.plugin('lonely', { code: CODE, dependencies: { ghost: '^2' } });
    await fx.plugin('a', { code: CODE, dependencies: { b: '*' } });
    await fx.plugin('b', { code: CODE, dependencies: { a: '*' } });
    const run = await steward(['validate', fx.dir, '--json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      problems: Array<{ field: string; message: string }>;
    };
    expect(result.ok).toBe(false);
    const messages = result.problems.map((p) => p.message).join('\n');
    expect(messages).toMatch(/bad\/package\.json: version/);
    expect(messages).toMatch(/steward\.id/);
    expect(messages).toMatch(/ghost/);
    expect(messages).toMatch(/a -> b -> a|b -> a -> b/);
  });

  it('checks the host version and validates a single plugin folder', async () => {
    const dir = await fx.plugin('needs-new-host', { code: CODE });
    await fx.write(
      'needs-new-host/package.json',
      JSON.stringify({
        name: 'x',
        version: '1.0.0',
        main: 'index.js',
        steward: { id: 'needs-new-host', host: '>=2' },
      }),
    );
    const old = await steward(['validate', dir, '--host', '1.5.0']);
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/host/);
    const ok = await steward(['validate', dir, '--host', '2.1.0']);
    expect(ok.code).toBe(0);
  });

  it('is a usage error without arguments or with an unknown option (exit 2)', async () => {
    expect((await steward(['validate'])).code).toBe(2);
    const unknown = await steward(['validate', '.', '--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--nope/);
  });

  it('checks services like the host does: a required service needs a provider, which activates first', async () => {
    await fx.plugin('consumer', { code: CODE, requires: ['clock'] });
    const missing = await steward(['validate', fx.dir]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/service:clock/);
    await fx.plugin('zprovider', { code: CODE, provides: ['clock'] });
    const ok = await steward(['validate', fx.dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('activation order: zprovider → consumer');
  });
});
