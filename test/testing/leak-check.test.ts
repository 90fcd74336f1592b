import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { runInComponent } from '../../src/node/index.js';
import { LeakCheckError, LeakChecker } from '../../src/testing/index.js';

const ROOT = join(import.meta.dirname, '../..');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('installLeakCheck (Vitest), in a nested Vitest run', () => {
  it('fails the passing tests that leak, with creation stacks, and only those', async () => {
    const { stdout } = await run([
      'node_modules/vitest/vitest.mjs',
      'run',
      '--config',
      'test/fixtures/node/vitest.leaky.config.ts',
      '--reporter=json',
    ]);
    const report = JSON.parse(stdout) as {
      testResults: Array<{
        assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
      }>;
    };
    const results = Object.fromEntries(report.testResults[0]!.assertionResults.map((t) => [t.title, t]));
    expect(results['clean test']!.status).toBe('passed');
    expect(results['is not affected by the leaks of earlier tests']!.status).toBe('passed');

    const tracked = results['leaks a tracked resource']!;
    expect(tracked.status).toBe('failed');
    expect(tracked.failureMessages[0]).toMatch(
      /LeakCheckError: The test left 1 tracked resource\(s\) behind/,
    );
    expect(tracked.failureMessages[0]).toMatch(/timer #\d+ tracked by component "plugin" is still held/);
    expect(tracked.failureMessages[0]).toMatch(/Created here:\n\s+at .*leaky\.vitest\.ts:\d+/);

    const handle = results['leaks an untracked handle']!;
    expect(handle.status).toBe('failed');
    expect(handle.failureMessages[0]).toMatch(
      /setInterval \(1000 ms\) created by component "sneaky" \(destroyed\)/,
    );
    expect(handle.failureMessages[0]).toMatch(/Handle created here:\n\s+at .*leaky\.vitest\.ts:\d+/);

    const own = results['fails on its own (and leaks)']!;
    expect(own.status).toBe('failed');
    expect(own.failureMessages.join('\n')).toContain('expected 1 to be 2');
    expect(own.failureMessages.join('\n')).not.toContain('LeakCheckError');
  });
});

describe('installNodeTestLeakCheck (node:test), in a real node:test run', () => {
  it('fails the passing tests that leak, and only those', async () => {
    const { code, stdout } = await run([
      '--import',
      'tsx',
      '--test-reporter=tap',
      'test/fixtures/node/leaky.node-test.ts',
    ]);
    expect(code).not.toBe(0);
    expect(stdout).toMatch(/^ok 1 - clean test$/m);
    expect(stdout).toMatch(/^not ok 2 - leaks a tracked resource$/m);
    expect(stdout).toMatch(/^not ok 3 - leaks an untracked handle$/m);
    expect(stdout).toMatch(/^not ok 4 - fails on its own \(and leaks\)$/m);
    expect(stdout).toMatch(/setTimeout \(60000 ms\) created by component "sneaky"/);
    const own = stdout.slice(stdout.indexOf('not ok 4'));
    expect(own).toContain('its own failure');
    expect(own).not.toContain('LeakCheckError');
  });
});

describe('LeakChecker', () => {
  it('reports only what appeared since begin(), releases it, and throws only for a passing test', async () => {
    const manager = new ResourceManager();
    const host = manager.register('host');
    host.track(
      setInterval(() => {}, 1000),
      { type: 'timer' },
    ); // exists before: not a leak
    const checker = new LeakChecker({ manager });
    checker.begin();
    const leaked = host.track(
      setInterval(() => {}, 1000),
      { type: 'timer' },
    );
    const plugin = manager.register('plugin');
    plugin.track(Buffer.alloc(8), { type: 'memory', size: 8 });
    expect(checker.collect().map((l) => l.description)).toEqual([
      `timer #${leaked.id} tracked by component "host" is still held`,
      expect.stringMatching(/^memory #\d+ tracked by component "plugin" is still held$/),
    ]);
    const error = await checker.end(true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakCheckError);
    expect((error as LeakCheckError).leaks).toHaveLength(2);
    expect((error as LeakCheckError).message).toMatch(/leakTracking: true/); // no stacks: says how
    expect(plugin.state).toBe('destroyed'); // registered during the test: cleaned up
    expect(host.resourceCount).toBe(1); // the pre-existing timer stays
    checker.begin();
    host.track(
      setInterval(() => {}, 1000),
      { type: 'timer' },
    );
    expect(await checker.end(false)).toHaveLength(1); // a failed test: released, not blamed
    expect(host.resourceCount).toBe(1);
    await manager.dispose();
  });

  it('finds open handles with attribution, honours ignore and reclaim: false', async () => {
    const manager = new ResourceManager();
    const checker = new LeakChecker({
      managers: () => [manager],
      attribution: true,
      reclaim: false,
      ignore: (leak) => leak.type === 'immediate',
    });
    try {
      checker.begin();
      const plugin = manager.register('plugin');
      let timer: NodeJS.Timeout | undefined;
      runInComponent(plugin, () => {
        timer = setTimeout(() => {}, 60_000);
        setImmediate(() => {});
      });
      await plugin.cleanup();
      const leaks = checker.collect();
      expect(leaks.map((l) => [l.kind, l.type])).toEqual([['handle', 'timer']]);
      expect(leaks[0]!.stack).toMatch(/leak-check\.test\.ts/);
      await expect(checker.end(true)).rejects.toThrow(/1 open handle\(s\)/);
      expect((timer as unknown as { _destroyed: boolean })._destroyed).toBe(false); // reclaim: false
      clearTimeout(timer);
    } finally {
      checker.dispose();
    }
  });

  it('needs exactly one of manager or managers', () => {
    expect(() => new LeakChecker({})).toThrow(/exactly one of/);
    expect(() => new LeakChecker({ manager: new ResourceManager(), managers: () => [] })).toThrow(
      /exactly one of/,
    );
  });
});
