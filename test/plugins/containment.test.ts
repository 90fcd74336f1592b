/**
 * Issue 13 §1 from the outside: misbehaving inline plugins from test/corpus — throwing from a
 * bare timer, from ctx.setTimeout, from a listener, from a timer armed at import, rejecting in a
 * promise chain, calling process.exit(3), killing and aborting the host, replacing
 * setTimeout / Array.prototype.push / Promise.prototype.then — run beside a well-behaved
 * neighbour with a loopback server and a child process, through the real `steward` binary and
 * through an application embedding PluginHost. Signals go to the host's pid alone. Each
 * misbehaving plugin ends `failed` (phase `runtime`) with the file:line of its code; the
 * neighbour keeps answering; the host exits as asked, and no pid of the run survives.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import {
  eventually,
  type Fixture,
  killAllFixtures,
  SETTLE_MS,
  startFixture,
} from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node
const CORPUS = join(import.meta.dirname, '../corpus');
const MISBEHAVING = [
  'throws-from-timer',
  'throws-from-ctx-timer',
  'throws-in-listener',
  'throws-at-import-timer',
  'rejects-in-chain',
  'exits-process',
  'kills-host',
  'patches-globals-later',
] as const;
/** Where each one's failure must point: its own file, and the line that threw or called. */
const MARKERS: Record<string, string> = {
  'patches-globals-later': 'was replaced by patches-globals-later',
  'throws-from-timer': 'throw new',
  'throws-from-ctx-timer': 'throw new',
  'throws-in-listener': 'throw new',
  'throws-at-import-timer': 'throw new',
  'rejects-in-chain': 'throw new',
  'exits-process': 'process.exit(3)',
  'kills-host': 'process.kill(process.pid',
};
const LINES: Record<string, number> = Object.fromEntries(
  Object.entries(MARKERS).map(([id, marker]) => [
    id,
    readFileSync(join(CORPUS, id, 'index.js'), 'utf8')
      .split('\n')
      .findIndex((line) => line.includes(marker) && !line.trimStart().startsWith('//')) + 1,
  ]),
);

const dirs: string[] = [];
afterEach(() => killAllFixtures());
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A plugins folder holding copies of the named corpus plugins. */
function pluginsFolder(names: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'steward-corpus-'));
  dirs.push(dir);
  for (const name of names) cpSync(join(CORPUS, name), join(dir, name), { recursive: true });
  return dir;
}

async function get(port: number, path = '/'): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return response.text();
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The neighbour's port and child pid, from its log line. */
async function neighbour(run: Fixture): Promise<{ port: number; child: number }> {
  const line = await run.waitFor(/\[neighbour-server\].*listening \d+ child \d+/, 'stderr');
  const [, port, child] = /listening (\d+) child (\d+)/.exec(line)!;
  return { port: Number(port), child: Number(child) };
}

/** Wait until every misbehaving plugin has failed, the listener one after a SIGUSR2. */
async function provoke(run: Fixture, port: number, failed: RegExp): Promise<void> {
  const line = await run.waitFor(/\[patches-globals-later\].*patch at \d+/, 'stderr');
  await run.waitFor(/\[throws-in-listener\].*armed/, 'stderr');
  // Once everything is up: the patcher replaces the globals, and the neighbour's next request
  // runs into the replaced push (the patcher's code throws, in the neighbour's context).
  // (Its own response then runs into them first: it breaks itself, and is failed for it.)
  await get(Number(/patch at (\d+)/.exec(line)![1]), '/patch').catch(() => undefined);
  await get(port).catch(() => undefined);
  run.child.kill('SIGUSR2');
  for (const id of MISBEHAVING) await run.waitFor(new RegExp(failed.source.replace('ID', id)));
}

describe('an inline plugin that fails ends that plugin, not the host', () => {
  it('steward run: each one fails (runtime) with its file:line, the neighbour answers, SIGINT exits 130 leaving no pid', async () => {
    const dir = pluginsFolder([...MISBEHAVING, 'neighbour-server']);
    const run = startFixture(CLI, ['run', dir], { CORPUS_DELAY_MS: '300' });
    const { port, child } = await neighbour(run);
    await run.waitFor(/press Ctrl-C to stop/);
    expect(pidExists(child)).toBe(true);
    await provoke(run, port, /✗ ID failed \(runtime\)/);

    const err = run.stderr();
    for (const [id, line] of Object.entries(LINES)) {
      expect(err).toMatch(
        new RegExp(`✗ ${id} failed \\(runtime\\): Plugin "${id}" at \\S*/${id}/index\\.js:${line}:\\d+`),
      );
    }
    expect(err).toMatch(
      /✗ exits-process failed \(runtime\).*called process\.exit\(3\); Steward prevented it/,
    );
    expect(err).toMatch(/✗ kills-host failed \(runtime\).*called process\.kill\(\d+, "SIGTERM"\)/);
    expect(err).toContain('[kills-host] warn: kill refused: STEWARD_PLUGIN_FAULT');
    expect(err).toMatch(
      /✗ rejects-in-chain failed \(runtime\).*unhandled promise rejection: Error: rejected in a promise chain/,
    );
    expect(err).not.toMatch(/Uncaught exception|Unhandled promise rejection/);
    // The host and its neighbour are still up.
    expect(await get(port)).toBe('neighbour ok');
    expect(run.child.exitCode).toBe(null);

    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.stderr()).toMatch(
      /global globalThis\.setTimeout, replaced by code outside any plugin hook: restored/,
    );
    expect(run.stderr()).toMatch(/stopped \d+ plugin\(s\)/);
    expect(await eventually(() => !pidExists(child), SETTLE_MS)).toBe(true);
    expect(await portIsFree(port)).toBe(true);
  });

  it('PluginHost embedded without installShutdown: the same, and the application disposes and ends by itself', async () => {
    const dir = pluginsFolder([...MISBEHAVING, 'neighbour-server']);
    const run = startFixture('embedded-host.ts', [dir], { CORPUS_DELAY_MS: '300' });
    const { port, child } = await neighbour(run);
    await run.waitFor(/^active /, 'stdout');
    await provoke(run, port, /^failed ID runtime /);

    const out = run.stdout();
    for (const [id, line] of Object.entries(LINES)) {
      expect(out).toMatch(new RegExp(`failed ${id} runtime \\w+ \\S*/${id}/index\\.js:${line}:\\d+`));
    }
    expect(out).toContain('failed exits-process runtime exit');
    expect(out).toContain('failed rejects-in-chain runtime unhandledRejection');
    expect(out).toContain('failed throws-from-timer runtime uncaughtException');
    expect(await get(port)).toBe('neighbour ok');
    expect(run.child.exitCode).toBe(null);

    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(run.stdout()).toContain('deactivated neighbour-server 2 released 0 failed');
    expect(run.stderr()).toMatch(
      /global globalThis\.setTimeout, replaced by code outside any plugin hook: restored/,
    );
    expect(run.stdout()).toContain("disposed\nthe application's setTimeout works again");
    expect(code).toBe(0);
    expect(await eventually(() => !pidExists(child), SETTLE_MS)).toBe(true);
    expect(await portIsFree(port)).toBe(true);
  });

  it('steward run: globals replaced in activate are reported; built-ins put back at once, setTimeout at shutdown', async () => {
    const dir = pluginsFolder(['patches-globals', 'neighbour-server']);
    const run = startFixture(CLI, ['run', dir]);
    const { port, child } = await neighbour(run);
    await run.waitFor(/press Ctrl-C to stop/);
    await run.waitFor(/2 active, 0 failed, 0 blocked/, 'stdout');
    expect(run.stderr()).toContain(
      '[patches-globals] warn: replaced global Array.prototype.push, replaced by plugin "patches-globals": restored',
    );
    expect(run.stderr()).toContain(
      '[patches-globals] warn: replaced global globalThis.setTimeout; it is put back when the plugin deactivates',
    );
    expect(await get(port)).toBe('neighbour ok');
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.stderr()).toContain(
      'SIGINT: global globalThis.setTimeout, replaced by plugin "patches-globals": restored',
    );
    expect(run.stderr()).toContain('stopped 2 plugin(s)');
    expect(await eventually(() => !pidExists(child), SETTLE_MS)).toBe(true);
  });

  it("PluginHost: the failed plugin's dependents are blocked", async () => {
    const dir = pluginsFolder(['throws-from-timer', 'neighbour-server']);
    const dependent = join(dir, 'needs-thrower');
    mkdirSync(dependent);
    writeFileSync(
      join(dependent, 'package.json'),
      JSON.stringify({
        name: 'needs-thrower',
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        steward: { id: 'needs-thrower', dependencies: { 'throws-from-timer': '*' } },
      }),
    );
    writeFileSync(join(dependent, 'index.js'), 'export default { activate() {} };\n');
    const run = startFixture('embedded-host.ts', [dir], { CORPUS_DELAY_MS: '300' });
    const { port } = await neighbour(run);
    await run.waitFor(/^active .*needs-thrower/, 'stdout');
    await run.waitFor(/^blocked needs-thrower by throws-from-timer/, 'stdout');
    expect(run.stdout()).toMatch(/failed throws-from-timer runtime uncaughtException/);
    expect(await get(port)).toBe('neighbour ok');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('PluginHost: host globals a plugin replaced in activate are put back when it unloads', async () => {
    const dir = pluginsFolder(['patches-globals', 'neighbour-server']);
    const run = startFixture('embedded-host.ts', [dir]);
    const { port } = await neighbour(run);
    await run.waitFor(/^active /, 'stdout');
    expect(run.stderr()).toContain(
      '[patches-globals] warn: replaced global Array.prototype.push, replaced by plugin "patches-globals": restored',
    );
    run.child.kill('SIGHUP');
    await run.waitFor(/^unloaded patches-globals \(unloaded\); setTimeout is setTimeout$/, 'stdout');
    expect(run.stderr()).toContain(
      '[patches-globals] warn: replaced global globalThis.setTimeout, replaced by plugin "patches-globals": restored',
    );
    expect(await get(port)).toBe('neighbour ok');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it("an error that belongs to no plugin behaves as Node's default: printed, exit 1", async () => {
    const dir = pluginsFolder(['neighbour-server']);
    const run = startFixture('embedded-host.ts', [dir, 'app-throws']);
    const { child } = await neighbour(run);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toContain('Error: the application itself failed');
    expect(run.stderr()).toContain(`Node.js ${process.version}`);
    // Node's default runs no cleanup, so the neighbour's child is the application's to reap here.
    if (pidExists(child)) process.kill(child, 'SIGKILL');
  });

  it("errorAttribution 'context': a thrown non-Error, which no stack names, is the plugin's too", async () => {
    const dir = pluginsFolder(['throws-a-string', 'neighbour-server']);
    const run = startFixture('embedded-host.ts', [dir, 'context'], { CORPUS_DELAY_MS: '300' });
    const { port, child } = await neighbour(run);
    await run.waitFor(/^failed throws-a-string runtime uncaughtException/, 'stdout');
    expect(run.stderr()).toContain('uncaught exception: "a string, not an Error"');
    expect(await get(port)).toBe('neighbour ok');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(await eventually(() => !pidExists(child), SETTLE_MS)).toBe(true);
  });

  it('with errorAttribution: false a plugin error is the process error, as without Steward', async () => {
    const dir = pluginsFolder(['throws-from-timer']);
    const run = startFixture('embedded-host.ts', [dir, 'no-attribution'], { CORPUS_DELAY_MS: '300' });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toContain('Error: thrown from a bare timer');
    expect(run.stdout()).not.toContain('failed throws-from-timer');
  });
});
