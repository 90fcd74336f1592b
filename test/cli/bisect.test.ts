/**
 * `steward bisect` the way a user meets it: real plugin folders through the real binary
 * (dist/cli/main.js). Each trial is a real host of a subset of the plugins, the test command runs
 * against it (its monitor URL and the enabled plugins in its environment); the culprits printed
 * are checked, and every process the trials started (hosts, commands, what the commands left in
 * the background) is checked gone by pid.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bisectRunBound } from '../../src/plugins/bisect.js';
import { root, steward } from '../helpers/cli.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';

const fx = pluginFixturesPerTest();
const TIMEOUT = 240_000;

const QUIET = 'export default { activate() {} };\n';

/** A plugin that holds `127.0.0.1:<env[portVar]>` while active and records its host's pid. */
const holdsPort = (portVar: string): string => `import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
export default {
  activate(ctx) {
    appendFileSync(process.env.BISECT_PIDS, process.pid + '\\n');
    const server = createServer();
    ctx.onCleanup(() => new Promise((done) => server.close(() => done())));
    return new Promise((listening) => server.listen(Number(process.env.${portVar}), '127.0.0.1', listening));
  },
};
`;

/** The user's test: the host runs exactly the plugins it was told, and both ports are free. */
const CHECK = `import { createServer } from 'node:net';
const url = new URL(process.env.STEWARD_MONITOR_URL);
const response = await fetch(new URL('/api/plugins', url), {
  headers: { authorization: 'Bearer ' + url.searchParams.get('token') },
});
const active = (await response.json()).plugins.filter((p) => p.state === 'active').map((p) => p.id).sort();
const enabled = process.env.STEWARD_BISECT_ENABLED.split(',').filter(Boolean).sort();
if (active.join() !== enabled.join()) {
  console.error('MISMATCH', active, enabled);
  process.exit(9);
}
for (const port of [process.env.PORT_A, process.env.PORT_B]) {
  await new Promise((resolve) => {
    const s = createServer();
    s.once('error', (e) => {
      console.error('port ' + port + ' taken: ' + e.code);
      process.exit(1);
    });
    s.listen(Number(port), '127.0.0.1', () => s.close(resolve));
  });
}
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidsIn(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return [...new Set(text.split('\n').filter(Boolean).map(Number))];
}

describe('steward bisect', () => {
  it(
    'finds every plugin that makes the test fail, one only with its dependency, and leaves no process',
    async () => {
      await fx.plugin('base', { code: QUIET });
      await fx.plugin('ui', { code: QUIET, dependencies: { base: '^1.0.0' } });
      await fx.plugin('clean-a', { code: QUIET });
      await fx.plugin('clean-b', { code: QUIET });
      await fx.plugin('port-hog', { code: holdsPort('PORT_A'), dependencies: { base: '^1.0.0' } });
      await fx.plugin('lock-taker', { code: holdsPort('PORT_B') });
      const check = await fx.write('../check.mjs', CHECK);
      const pids = join(fx.root, 'pids');
      const env = {
        PORT_A: String(await freePort()),
        PORT_B: String(await freePort()),
        BISECT_PIDS: pids,
      };
      // The command also leaves a sleeper in the background: it must go with the command's group.
      const test = `echo $$ >> "${pids}"; (sleep 600 & echo $! >> "${pids}"); node "${check}"`;
      const run = await steward(['bisect', fx.dir, '--test', test], env, TIMEOUT);
      expect(run.stderr).not.toContain('MISMATCH');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('culprit: port-hog (with its dependency base)');
      expect(run.stdout).toMatch(/^culprit: lock-taker$/m);
      expect(run.stdout.match(/^culprit:/gm)).toHaveLength(2);
      expect(run.stdout).toMatch(/port \d+ taken: EADDRINUSE/);
      const runs = Number(/in (\d+) run\(s\)/.exec(run.stdout)?.[1]);
      expect(runs).toBeLessThanOrEqual(bisectRunBound(6, 2));
      expect(run.stderr).toContain(`run ${runs}:`);
      const started = await pidsIn(pids);
      // A host pid per run with a port holder, a shell and a sleeper per run.
      expect(started.length).toBeGreaterThanOrEqual(runs * 2);
      await expect.poll(() => started.filter(alive), { timeout: 20_000 }).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'finds the plugin behind a leak finding without a test command',
    async () => {
      await fx.plugin('base', { code: QUIET });
      await fx.plugin('clean', { code: QUIET, dependencies: { base: '^1.0.0' } });
      await fx.plugin('leaker', {
        code: 'export default { activate() { setInterval(() => {}, 60_000); } };\n',
      });
      const run = await steward(['bisect', fx.dir, '--finding', 'leak', '--duration', '100'], {}, TIMEOUT);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^culprit: leaker$/m);
      expect(run.stdout).toMatch(/untracked-handle in leaker: .*setInterval/);
      expect(run.stdout.match(/^culprit:/gm)).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'refuses bad input with what was wrong and what to do (exit 2)',
    async () => {
      const none = await steward(['bisect', fx.dir, '--test', 'true']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/no plugins found in .*; give the folder that contains the plugins/);

      await fx.plugin('alpha', { code: QUIET });
      await fx.plugin('beta', { code: QUIET, dependencies: { alpha: '^1.0.0' } });
      const what = await steward(['bisect', fx.dir]);
      expect(what.code).toBe(2);
      expect(what.stderr).toContain('say what fails');

      const unknown = await steward(['bisect', fx.dir, '--test', 'true', '--always-on', 'gamma']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('--always-on "gamma" is not a plugin');
      expect(unknown.stderr).toContain('the plugins are alpha, beta');

      const kind = await steward(['bisect', fx.dir, '--finding', 'leaky']);
      expect(kind.code).toBe(2);
      expect(kind.stderr).toContain('--finding "leaky" is not a finding');

      const passes = await steward(['bisect', fx.dir, '--test', 'true'], {}, TIMEOUT);
      expect(passes.code).toBe(2);
      expect(passes.stderr).toContain('the test passes with every plugin enabled (run 1)');

      const fails = await steward(['bisect', fx.dir, '--test', 'echo broken config; exit 7'], {}, TIMEOUT);
      expect(fails.code).toBe(2);
      expect(fails.stderr).toContain('the test fails with every plugin disabled (run 2: test exited 7');
      expect(fails.stderr).toContain('last output: broken config');
      expect(fails.stderr).toContain('the fault is not in the plugins');

      const missing = await steward(['bisect', fx.dir, '--test', 'no-such-command-xyz'], {}, TIMEOUT);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('The command was not found');

      const always = await steward(
        ['bisect', fx.dir, '--test', 'exit 1', '--always-on', 'beta'],
        {},
        TIMEOUT,
      );
      expect(always.code).toBe(2);
      expect(always.stderr).toContain('disabled but the always-on alpha, beta');
    },
    TIMEOUT,
  );

  it(
    'exits 3 when the failure does not reproduce (a flaky test), naming no culprit',
    async () => {
      await fx.plugin('alpha', { code: QUIET });
      await fx.plugin('beta', { code: QUIET });
      // Fails in run 1 only.
      const run = await steward(['bisect', fx.dir, '--test', 'test "$STEWARD_BISECT_RUN" != 1'], {}, TIMEOUT);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stdout).not.toMatch(/^culprit:/m);
      expect(run.stderr).toContain('no culprit reproduced');
    },
    TIMEOUT,
  );

  it(
    'ends the running test command and trial host when interrupted (SIGTERM to its pid alone)',
    async () => {
      const pids = join(fx.root, 'pids');
      await fx.plugin('alpha', {
        code: `import { appendFileSync } from 'node:fs';
export default { activate() { appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n'); } };
`,
      });
      await fx.plugin('beta', { code: QUIET });
      const child = spawn(
        process.execPath,
        [join(root, 'dist/cli/main.js'), 'bisect', fx.dir, '--test', `echo $$ >> "${pids}"; sleep 600`],
        { cwd: fx.root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        // The host (alpha's pid) and the command's shell are both up.
        await expect.poll(async () => (await pidsIn(pids)).length, { timeout: 60_000 }).toBe(2);
        const started = await pidsIn(pids);
        expect(started.every(alive)).toBe(true);
        process.kill(child.pid!, 'SIGTERM');
        expect(await exited).toBe(143);
        expect(stderr).toContain('interrupted (SIGTERM) after 1 run(s); nothing is left running');
        await expect.poll(() => started.filter(alive), { timeout: 20_000 }).toEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
    },
    TIMEOUT,
  );
});
