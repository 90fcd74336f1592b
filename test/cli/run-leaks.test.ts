/**
 * Unload verification through the real `steward` binary: leaky corpus plugins hosted by
 * `steward run --monitor`, unloaded over the monitor API; the host prints each finding with its
 * retainer path and creation line, and the monitor serves it as JSON (GET /api/leaks).
 */
import { spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { STEWARD_BIN } from '../helpers/pty.js';

const corpus = join(import.meta.dirname, '../corpus');
let fixtures: PluginFixtures;

beforeAll(async () => {
  fixtures = await PluginFixtures.create();
  for (const id of [
    'support-registry',
    'leaks-module-cache',
    'leaks-process-listener',
    'leaks-worker-service',
    'keeps-worker-service',
  ]) {
    await cp(join(corpus, id), join(fixtures.dir, id), { recursive: true });
  }
});
afterAll(() => fixtures?.[Symbol.asyncDispose]());

async function api(url: URL, path: string, method = 'GET'): Promise<unknown> {
  const response = await fetch(`${url.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${url.searchParams.get('token')}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  return response.json();
}

describe('steward run verifies every unload', () => {
  it('prints what an unloaded plugin left reachable, with the path and the line, and serves it as JSON', async () => {
    const child = spawn(process.execPath, [STEWARD_BIN, 'run', fixtures.dir, '--monitor'], {
      cwd: fixtures.root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    try {
      let out = '';
      const waiters = new Set<() => void>();
      const onData = (d: string): void => {
        out += d;
        for (const w of [...waiters]) w();
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      const waitFor = (re: RegExp): Promise<RegExpExecArray> =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            const m = re.exec(out);
            if (m) {
              waiters.delete(check);
              resolve(m);
            } else if (child.exitCode !== null) reject(new Error(`steward exited before ${re}:\n${out}`));
          };
          waiters.add(check);
          check();
        });
      const url = new URL((await waitFor(/monitor: (http\S+)/))[1]!);
      await api(url, '/api/plugins/leaks-module-cache/unload', 'POST');
      await waitFor(/leak \(retained-after-unload\): Plugin "leaks-module-cache"[\s\S]*created at [^\n]*\n/);
      expect(out).toMatch(
        /Map "thumbnails" is still reachable, held by module "plugins\/support-registry\/index\.js"\.caches\[0\]/,
      );
      expect(out).toMatch(/retained by:\n(\s+.+\n)*\s+\.caches → Array\n\s+\[0\] → Map "thumbnails"/);
      expect(out).toMatch(/created at plugins\/leaks-module-cache\/index\.js:5\n/);

      await api(url, '/api/plugins/leaks-process-listener/unload', 'POST');
      await waitFor(/Plugin "leaks-process-listener"[^\n]*onSignal[\s\S]*created at [^\n]*\n/);
      expect(out).toMatch(/held by process\._events\.SIGUSR2, keeping the plugin context \(ctx\) alive/);
      expect(out).toMatch(/created at plugins\/leaks-process-listener\/index\.js:5:\d+/);

      // A worker plugin: its heap went with its thread; the host's proxy of its service, kept
      // by another plugin, is what is still reachable.
      await api(url, '/api/plugins/leaks-worker-service/unload', 'POST');
      await waitFor(/Plugin "leaks-worker-service" was unloaded but [^\n]*\n/);
      expect(out).toMatch(
        /the host's proxy of its service "corpus\.clock" is still reachable, held by module "plugins\/keeps-worker-service\/index\.js"\(variable clocks\)\[0\], keeping its worker runtime \(host side\) alive/,
      );

      const leaks = (await api(url, '/api/leaks')) as {
        findings: Array<{
          kind: string;
          plugin?: string;
          holder?: string;
          retainerPath?: string[];
          retainedBytes?: number;
        }>;
      };
      const cache = leaks.findings.find((f) => f.plugin === 'leaks-module-cache');
      expect(cache).toMatchObject({
        kind: 'retained-after-unload',
        holder: expect.stringContaining('.caches[0]'),
      });
      expect(cache!.retainerPath!.at(-1)).toMatch(/Map "thumbnails"/);
      expect(cache!.retainedBytes).toBeGreaterThan(256 * 1024);

      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(out).toMatch(/[2-9] leak\(s\) reported/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
