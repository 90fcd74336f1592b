/**
 * The real `steward` binary (dist/cli/main.js), against a real
 * monitor started in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { steward } from '../helpers/cli.js';
import { demoPlugins } from '../monitor/plugin-control.js';

let manager: ResourceManager;
let server: MonitorServer;

beforeAll(async () => {
  manager = new ResourceManager();
  const plugins = demoPlugins(manager);
  plugins.activateAll();
  server = await startMonitor(manager, { plugins });
});
afterAll(async () => {
  await server.close();
  await manager.dispose({ force: true });
});

describe('steward (the binary)', () => {
  it('--help lists the commands; no arguments prints help and exits 2; --version prints the version', async () => {
    const help = await steward(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: steward <command>/);
    expect(help.stdout).toMatch(/^ {2}inspect +Show a running monitor's components/m);
    expect(help.stdout).toMatch(/^ {2}validate +Check plugin manifests/m);
    const none = await steward([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: steward');
    const version = await steward(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with exit code 2 and names the available ones', async () => {
    const run = await steward(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'steward: unknown command "frobnicate". Commands: run, new, inspect, profile, heap, bisect, validate, permissions, recover. See steward --help.\n',
    );
  });

  it('inspect --help and help inspect print the command help', async () => {
    const a = await steward(['inspect', '--help']);
    const b = await steward(['help', 'inspect']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^Usage: steward inspect <monitor url> \[options\]/);
    expect(a.stdout).toContain('--json');
    expect(b.stdout).toBe(a.stdout);
  });

  it('inspect prints the snapshot as aligned tables', async () => {
    const run = await steward(['inspect', server.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Steward monitor ${server.origin}: 4 components, 19 resources, 932 KiB tracked`);
    const header = lines.find((l) => l.startsWith('COMPONENT'))!;
    expect(header.split(/\s{2,}/)).toEqual([
      'COMPONENT',
      'TYPE',
      'STATE',
      'RESOURCES',
      'OWN',
      'WITH CHILDREN',
      'AGE',
    ]);
    const row = (id: string) => lines.find((l) => l.trimStart().startsWith(`${id} `))!;
    expect(
      row('file-browser')
        .split(/\s{2,}/)
        .slice(0, 6),
    ).toEqual(['file-browser', 'plugin', 'active', '2', '256 KiB', '352 KiB']);
    expect(row('file-browser/tree-panel')).toMatch(/^ {2}file-browser\/tree-panel/);
    // Right-aligned numbers end in the same column as their header.
    const end = header.indexOf('RESOURCES') + 'RESOURCES'.length;
    for (const id of ['file-browser', 'image-viewer', 'terminal']) {
      expect(row(id).slice(0, end)).toMatch(/\d$/);
    }
    expect(run.stdout).toMatch(/^thumbnail\s+14\s+672 KiB$/m);
    expect(run.stdout).toMatch(/^image-viewer\s+0\.9\.3\s+active\s+inline\s+file-browser\s+/m);
  });

  it('inspect --json prints the API snapshot', async () => {
    const run = await steward(['inspect', server.url, '--json']);
    expect(run.code).toBe(0);
    const snap = JSON.parse(run.stdout);
    expect(snap.components.map((c: { id: string }) => c.id)).toEqual(
      manager.snapshot().components.map((c) => c.id),
    );
    expect(snap.stats.totalBytes).toBe(manager.totalBytes);
    expect(snap.plugins).toHaveLength(3);
  });

  it("inspect --component lists one component's resources; the token may come from --token or the environment", async () => {
    const run = await steward([
      'inspect',
      server.origin,
      '--component',
      'image-viewer',
      '--token',
      server.token,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Component image-viewer \(plugin, active\): 13 resources, 576 KiB own/);
    expect(run.stdout).toMatch(
      /^ *5 {2}thumbnail \(evictable\) {2}48\.0 KiB {2}.* {2}\{"file":"photo-0\.jpg"\}$/m,
    );
    const env = await steward(['inspect', server.origin, '--json'], { STEWARD_MONITOR_TOKEN: server.token });
    expect(env.code).toBe(0);
    expect(JSON.parse(env.stdout).stats.components).toBe(4);
  });

  it('takes an option value that starts with a dash (one random token in 64 does): --token -…', async () => {
    const dashed = await startMonitor(manager, { token: `-${'x'.repeat(31)}` });
    try {
      const run = await steward(['inspect', dashed.origin, '--token', dashed.token, '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).stats.components).toBe(4);
      // A real option after --token is still a missing value, not a token.
      const missing = await steward(['inspect', dashed.origin, '--token', '--json']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--token/);
    } finally {
      await dashed.close();
    }
  });

  it('explains failures: wrong token, no token, unreachable monitor, bad URL, unknown option, gone component', async () => {
    const [wrong, none, gone, bad, option, missing] = await Promise.all([
      steward(['inspect', `${server.origin}/?token=not-the-token`]),
      steward(['inspect', server.origin]),
      steward(['inspect', 'http://127.0.0.1:9/?token=x']),
      steward(['inspect', 'not a url']),
      steward(['inspect', server.url, '--colour']),
      steward(['inspect', server.url, '--component', 'nope']),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /the monitor refused \/api\/snapshot: Missing or wrong token.*Check the token/,
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No token: pass the full URL the monitor printed/);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(
      /cannot reach the monitor at http:\/\/127\.0\.0\.1:9 \(.+\)\. Is the application still running/,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"not a url" is not a URL/);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/Unknown option '--colour'/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No live component "nope"/);
  });
});
