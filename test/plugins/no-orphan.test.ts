/**
 * "No orphan, ever", from outside: real plugin folders (test/corpus) hosted by the real
 * `steward` binary and by a program embedding PluginHost with no other set-up; the host is
 * SIGKILLed — its pid alone, as `kill -9` does — right after its plugin's first spawn, and every
 * child pid the plugin wrote down must be gone soon after — and, on Linux, every process bearing
 * the run's tag in its environment: a child the host was killed while spawning (its pid never
 * written down) and a shell's command. No wall-clock assertion: conditions are polled with a
 * generous bound.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import {
  eventually,
  type Fixture,
  groupMembers,
  killAllFixtures,
  processesWithEnv,
  SETTLE_MS,
  startFixture,
} from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node
const EMBEDDED = '../plugins/embedded-host.ts';
const CORPUS = join(import.meta.dirname, '../corpus');
const KINDS = ['spawn', 'fork', 'exec', 'execFile'] as const;

const temps: string[] = [];
const stray: number[] = [];
const tags: string[] = [];
afterEach(() => {
  killAllFixtures();
  for (const tag of tags.splice(0)) stray.push(...processesWithEnv(tag));
  for (const pid of stray.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'steward-orphans-'));
  temps.push(dir);
  return dir;
}

function readPids(file: string): Array<[string, number]> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [what, pid] = line.split(' ');
      return [what!, Number(pid)];
    });
}

interface Run {
  /** What the plugin wrote down: kind and pid of each child. */
  readonly children: Array<[string, number]>;
  /** `NAME=value` in the environment of everything the run started. */
  readonly tag: string;
}

function runTag(): string {
  const tag = `NO_ORPHAN_RUN=${randomBytes(8).toString('hex')}`;
  tags.push(tag);
  return tag;
}

function tagEnv(tag: string): NodeJS.ProcessEnv {
  const [name, value] = tag.split('=');
  return { [name!]: value };
}

/** Start a host, SIGKILL it (pid alone) the moment the first child pid is written. */
async function killAfterFirstSpawn(start: (env: NodeJS.ProcessEnv) => Fixture, first: string): Promise<Run> {
  const pids = join(temp(), 'pids');
  const tag = runTag();
  const host = start({ CORPUS_PIDS: pids, CORPUS_FIRST: first, ...tagEnv(tag) });
  expect(await eventually(() => readPids(pids).length > 0, 60_000)).toBe(true);
  host.child.kill('SIGKILL');
  expect((await host.exited).signal).toBe('SIGKILL');
  const written = readPids(pids);
  for (const [, pid] of written) stray.push(pid);
  return { children: written, tag };
}

async function expectAllGone(
  children: Array<[string, number]>,
  tag: string,
  spared: number[] = [],
): Promise<void> {
  expect(children.length).toBeGreaterThan(0);
  for (const [what, pid] of children) {
    const gone = await eventually(() => !pidExists(pid) && groupMembers(pid).length === 0, SETTLE_MS);
    expect(gone, `${what} child ${pid} (and its process group) outlived the SIGKILLed host`).toBe(true);
  }
  // Everything else the run started, pid written down or not.
  const left = (): number[] => processesWithEnv(tag).filter((pid) => !spared.includes(pid));
  const none = await eventually(() => left().length === 0, SETTLE_MS);
  const survivors = left();
  stray.push(...survivors);
  expect(none, `processes of the run outlived the SIGKILLed host: ${survivors.join(', ')}`).toBe(true);
}

describe('no child of a plugin outlives its host, even killed with SIGKILL right after the first spawn', () => {
  for (const isolation of ['inline', 'worker'] as const) {
    it(`steward run, ${isolation} plugin: spawn, fork, exec and execFile, each one first`, async () => {
      const dir = join(CORPUS, 'orphans-on-sigkill/plugins');
      const runs = await Promise.all(
        KINDS.map((first) =>
          killAfterFirstSpawn((env) => startFixture(CLI, ['run', dir, '--isolation', isolation], env), first),
        ),
      );
      expect(runs.map((run) => run.children[0]![0])).toEqual([...KINDS]);
      for (const run of runs) await expectAllGone(run.children, run.tag);
    });

    it(`PluginHost embedded without installShutdown, ${isolation} plugin`, async () => {
      const dir = join(CORPUS, 'orphans-on-sigkill/plugins');
      const run = await killAfterFirstSpawn(
        (env) => startFixture(EMBEDDED, [dir, isolation], env),
        isolation === 'inline' ? 'exec' : 'fork',
      );
      await expectAllGone(run.children, run.tag);
    });
  }

  it('with --attribution, children a plugin started without ctx die with the host; one detached and unref’d on purpose lives', async () => {
    const pids = join(temp(), 'pids');
    const tag = runTag();
    const host = startFixture(CLI, ['run', join(CORPUS, 'untracked-children/plugins'), '--attribution'], {
      CORPUS_PIDS: pids,
      ...tagEnv(tag),
    });
    expect(await eventually(() => readPids(pids).length === 3, 60_000)).toBe(true);
    await host.waitFor(/press Ctrl-C to stop/, 'stderr');
    host.child.kill('SIGKILL');
    await host.exited;
    const children = readPids(pids);
    for (const [, pid] of children) stray.push(pid);
    const detached = children.find(([what]) => what === 'detached')![1];
    await expectAllGone(
      children.filter(([what]) => what !== 'detached'),
      tag,
      [detached],
    );
    // Still there once the others are gone: the watchdog let it be.
    expect(pidExists(detached)).toBe(true);
  });
});
