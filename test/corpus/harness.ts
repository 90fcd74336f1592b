/**
 * The corpus harness: finds the corpus entries (`test/corpus/<name>/expect.json` beside a
 * `plugins/` folder), groups them into host runs, and checks a run from outside — what a
 * third party running `steward run` would see: the host is alive, exits with the right code
 * when signalled, its plugins are in the states the spec says, the neighbour plugin still answers, the
 * leak findings are exactly the spec's (no more, no fewer), every port is free and no process
 * of the run survives it. Running a host is in `harness-host.ts`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRun } from './harness-host.js';

/** The corpus folder. */
export const CORPUS = import.meta.dirname;

/** A plugin state as `host.list()` and the monitor report it. */
export type PluginStateName = 'active' | 'failed' | 'blocked' | 'inactive' | 'loaded' | 'unloaded';

/** What `expect.json` says about one corpus entry. */
export interface CorpusSpec {
  /** One line: what the plugin does wrong (also its README line). */
  readonly what: string;
  /** Run in a host of its own (it needs node flags, or a signal other than SIGTERM). */
  readonly solo?: boolean;
  /** Output patterns (regular expressions) to wait for before checking: the misbehaviour happened. */
  readonly ready?: readonly string[];
  /** Plugin id → the state it must be in at check time. */
  readonly plugins?: Readonly<Record<string, PluginStateName>>;
  /** Component id → patterns of the findings attributed to it; complete: every other finding fails. */
  readonly leaks?: Readonly<Record<string, readonly string[]>>;
  /** Output patterns that must appear by the end of the run. */
  readonly output?: readonly string[];
  /** Output patterns that must not appear. */
  readonly absent?: readonly string[];
  /** The signal sent to the host's pid alone (default SIGTERM). */
  readonly signal?: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGKILL';
  /** Which hosts run it (default both): the real `steward run`, and `PluginHost` embedded in a program. */
  readonly modes?: readonly Mode[];
  /** Extra flags for node (e.g. `--expose-gc`). */
  readonly nodeArgs?: readonly string[];
  /** Files written at copy time instead of kept in git (huge ones, syntax errors): path in the entry → content. */
  readonly generate?: Readonly<
    Record<
      string,
      { readonly text?: string; readonly repeat?: string; readonly times?: number; readonly end?: string }
    >
  >;
}

/** How a batch is hosted. */
export type Mode = 'cli' | 'embedded';

/** One corpus entry. */
export interface CorpusEntry {
  readonly name: string;
  readonly dir: string;
  readonly spec: CorpusSpec;
}

const KEYS = new Set([
  'what',
  'solo',
  'ready',
  'plugins',
  'leaks',
  'output',
  'absent',
  'signal',
  'modes',
  'nodeArgs',
  'generate',
]);
const STATES = new Set(['active', 'failed', 'blocked', 'inactive', 'loaded', 'unloaded']);

/** Read and check one `expect.json`; throws saying what is wrong and where. */
export function readSpec(file: string): CorpusSpec {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as CorpusSpec;
  const fail = (problem: string): never => {
    throw new Error(`${file}: ${problem}`);
  };
  if (spec === null || typeof spec !== 'object') fail('must be a JSON object');
  for (const key of Object.keys(spec))
    if (!KEYS.has(key)) fail(`unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  if (typeof spec.what !== 'string' || spec.what.length === 0)
    fail('"what" must say what the plugin does wrong');
  for (const [id, state] of Object.entries(spec.plugins ?? {}))
    if (!STATES.has(state)) fail(`plugins.${id}: unknown state "${state}"`);
  for (const list of [spec.ready, spec.output, spec.absent, ...Object.values(spec.leaks ?? {})])
    for (const pattern of list ?? []) {
      try {
        new RegExp(pattern, 'm');
      } catch (error) {
        fail(`pattern ${JSON.stringify(pattern)} is no regular expression: ${(error as Error).message}`);
      }
    }
  if ((spec.signal ?? 'SIGTERM') !== 'SIGTERM' && spec.solo !== true) fail('another signal needs "solo"');
  if (spec.nodeArgs !== undefined && spec.solo !== true) fail('"nodeArgs" needs "solo"');
  return spec;
}

/** The entries listed in PENDING.md (`- name — …`): their fix is in another change; not run yet. */
export function pendingEntries(root = CORPUS): Map<string, string> {
  const file = join(root, 'PENDING.md');
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^- `?([\w-]+)`?\s*[—-]\s*(.*)$/.exec(line);
    if (match) out.set(match[1]!, match[2]!);
  }
  return out;
}

/** Every corpus entry (a folder with `expect.json`), sorted by name. */
export function corpusEntries(root = CORPUS): CorpusEntry[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'expect.json')))
    .map((d) => ({
      name: d.name,
      dir: join(root, d.name),
      spec: readSpec(join(root, d.name, 'expect.json')),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Group entries into host runs: solo entries alone, the others `size` at a time. Sharing a
 * host weakens no check: each entry's plugins, findings and output are checked as its own, and
 * the neighbour must answer with all of them running.
 */
export function batches(entries: readonly CorpusEntry[], size = 8): CorpusEntry[][] {
  const out: CorpusEntry[][] = [];
  const shared = new Map<string, CorpusEntry[]>(); // by the hosts they run in
  for (const entry of entries) {
    if (entry.spec.solo) {
      out.push([entry]);
      continue;
    }
    const key = modesOf(entry).join();
    const group = shared.get(key) ?? [];
    group.push(entry);
    shared.set(key, group);
    if (group.length === size) {
      out.push(group);
      shared.delete(key);
    }
  }
  out.push(...shared.values());
  return out;
}

/** The hosts an entry runs in. */
export function modesOf(entry: CorpusEntry): readonly Mode[] {
  return entry.spec.modes ?? ['cli', 'embedded'];
}

/** One leak finding as the host printed it. */
export interface Finding {
  readonly component: string;
  readonly text: string;
}

/** The findings in a host's output: `[id] warn: leaked …` (attributed handles) and `leak (kind): …` (the rest). */
export function findingsIn(output: string): Finding[] {
  const out: Finding[] = [];
  for (const line of output.split('\n')) {
    const handle = /^\[([^\]]+)\] warn: leaked (.+?)\s*$/.exec(line);
    if (handle) out.push({ component: handle[1]!, text: handle[2]! });
    const other = /^leak \([\w-]+\): .*?component "([^"]+)"/.exec(line);
    if (other) out.push({ component: other[1]!, text: line });
  }
  return out;
}

/** The entry a component belongs to: by convention its ids start with the entry's name. */
function entryOf(component: string, batch: readonly CorpusEntry[]): CorpusEntry | undefined {
  return batch
    .filter((e) => component === e.name || component.startsWith(`${e.name}-`))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

/** What is wrong with a finished run of `batch`, as one line per problem (empty: all good). */
export function checkRun(batch: readonly CorpusEntry[], run: HostRun): string[] {
  const problems: string[] = [];
  const { spec } = batch[0]!;
  // Whatever the plugins did, the host runs until signalled, then exits as a signal asks.
  const expectedExit =
    spec.signal === 'SIGKILL'
      ? { code: null, signal: 'SIGKILL' }
      : { code: { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 }[spec.signal ?? 'SIGTERM'], signal: null };
  if (run.timedOut) problems.push(`host: ${run.timedOut}`);
  if (run.exit.code !== expectedExit.code || run.exit.signal !== expectedExit.signal)
    problems.push(`host exited with ${JSON.stringify(run.exit)}, expected ${JSON.stringify(expectedExit)}`);
  if (!run.aliveAtCheck) problems.push('host was not alive at check time');
  if (run.neighbour !== 'pong') problems.push(`the neighbour plugin did not answer: ${run.neighbour}`);
  if (run.states['corpus-neighbour'] !== 'active')
    problems.push(`the neighbour plugin is ${run.states['corpus-neighbour']}, expected active`);
  for (const pid of run.survivors) problems.push(`process ${pid} of the run survived the host`);
  for (const port of run.busyPorts) problems.push(`port ${port} is still taken after the host exited`);

  // Findings are true and complete: each matches one expected pattern, each pattern one finding.
  const expected = batch.flatMap((entry) =>
    Object.entries(entry.spec.leaks ?? {}).flatMap(([component, list]) =>
      list.map((pattern) => ({ entry, component, pattern: new RegExp(pattern), used: false })),
    ),
  );
  for (const f of findingsIn(run.output)) {
    const entry = entryOf(f.component, batch);
    const match = expected.find((e) => !e.used && e.component === f.component && e.pattern.test(f.text));
    if (match) match.used = true;
    else if (entry === undefined)
      problems.push(`a finding of "${f.component}", which no entry owns: ${f.text}`);
    else problems.push(`${entry.name}: unexpected finding of "${f.component}": ${f.text}`);
  }
  for (const e of expected)
    if (!e.used) problems.push(`${e.entry.name}: no finding of "${e.component}" matches ${e.pattern}`);

  for (const entry of batch) {
    for (const [id, state] of Object.entries(entry.spec.plugins ?? {}))
      if (run.states[id] !== state)
        problems.push(`${entry.name}: plugin "${id}" is ${run.states[id] ?? 'missing'}, expected ${state}`);
    for (const p of entry.spec.output ?? [])
      if (!new RegExp(p, 'm').test(run.output)) problems.push(`${entry.name}: no output matches /${p}/`);
    for (const p of entry.spec.absent ?? [])
      if (new RegExp(p, 'm').test(run.output))
        problems.push(`${entry.name}: output matches /${p}/, which must not appear`);
  }
  return problems;
}
