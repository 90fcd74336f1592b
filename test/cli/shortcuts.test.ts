/**
 * `steward run` in a terminal: the real binary in a real pseudo-terminal (test/helpers/pty.ts)
 * takes the shortcuts shown at start — l, r (asking which, or named, or *), u, h, q — and every
 * reload and unload is logged and seen from outside, through the monitor's JSON API. With a
 * pipe instead of a terminal on stdin, typed letters do nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { steward } from '../helpers/cli.js';
import { hasScript, killAllTerminals, STEWARD_BIN, startInTerminal } from '../helpers/pty.js';

let dir: string;
beforeAll(async () => {
  if (!hasScript())
    throw new Error('these tests need util-linux `script` (Debian: bsdutils, always installed)');
  dir = mkdtempSync(join(tmpdir(), 'steward-shortcuts-'));
  for (const id of ['alpha', 'beta']) {
    const made = await steward(['new', 'plugin', id, '--dir', dir]);
    expect(made.code).toBe(0);
  }
});
afterEach(() => killAllTerminals());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function states(monitorUrl: string): Promise<Record<string, string>> {
  const url = new URL(monitorUrl);
  const response = await fetch(`${url.origin}/api/snapshot`, {
    headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
  });
  const snapshot = (await response.json()) as { plugins: Array<{ id: string; state: string }> };
  return Object.fromEntries(snapshot.plugins.map((p) => [p.id, p.state]));
}

describe('steward run in a terminal', () => {
  it('shows the shortcuts; r, u, l, h act on the host and are logged; q shuts down cleanly (exit 0)', async () => {
    const term = startInTerminal(['run', dir, '--monitor'], dir);
    let at = await term.waitFor(/shortcuts: r reload · u unload · l list · h help · q quit/);
    const url = /monitor: (http\S+)/.exec(term.screen())![1]!;
    const pid = term.pid();
    expect(await states(url)).toEqual({ alpha: 'active', beta: 'active' });

    term.type('l');
    at = await term.waitFor(/plugin\s+version\s+state[^\n]*\n[^\n]*alpha[^\n]*active[^\n]*\n[^\n]*beta/, at);

    term.type('r'); // asks which
    at = await term.waitFor(/reload which plugin\? alpha, beta, or \* for all/, at);
    term.type('alpha');
    at = await term.waitFor(/\[alpha\] released after \d+ tick\(s\)[\s\S]*↻ reloaded alpha/, at);

    term.type('u beta');
    at = await term.waitFor(/○ unloaded beta/, at);
    expect(await states(url)).toEqual({ alpha: 'active', beta: 'unloaded' });

    term.type('r *'); // everything, the unloaded one back too
    at = await term.waitFor(/↻ reloaded alpha[\s\S]*↻ reloaded beta/, at);
    expect(await states(url)).toEqual({ alpha: 'active', beta: 'active' });

    term.type('u'); // asks which; Enter cancels
    at = await term.waitFor(/unload which plugin\?/, at);
    term.type('');
    term.type('r ghost');
    at = await term.waitFor(/no plugin "ghost"; plugins: alpha, beta/, at);
    expect(await states(url)).toEqual({ alpha: 'active', beta: 'active' });

    term.type('zz');
    at = await term.waitFor(/unknown shortcut "zz": type h and Enter for help/, at);
    term.type('h');
    at = await term.waitFor(/q\s+quit: deactivate everything and exit/, at);

    term.type('q');
    await term.waitFor(
      /stopped 2 plugin\(s\) in \d+ ms: 6 resource\(s\) released, 0 failed, 0 abandoned/,
      at,
    );
    expect(await term.exited).toBe(0);
    expect(pidExists(pid)).toBe(false);
  });

  it('with stdin not a terminal, typed letters change nothing', async () => {
    const child = spawn(process.execPath, [STEWARD_BIN, 'run', dir, '--monitor'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      let stdout = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const url = await new Promise<string>((resolve) =>
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          const m = /monitor: (http\S+)/.exec(stdout);
          if (m) resolve(m[1]!);
        }),
      );
      child.stdin.write('u alpha\nq\n');
      // The host answers requests sent after the lines were in its stdin: had it read them, it
      // would have unloaded alpha and begun to stop by then.
      for (let i = 0; i < 3; i++) expect(await states(url)).toEqual({ alpha: 'active', beta: 'active' });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toContain('press Ctrl-C to stop');
      expect(stderr).not.toContain('shortcuts:');
      expect(stderr).not.toContain('unloaded alpha');
      expect(stderr).toMatch(/stopping \(SIGTERM\)[\s\S]*stopped 2 plugin\(s\)/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
