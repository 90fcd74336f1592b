/**
 * Every fenced code block of README.md, docs/*.md and examples/README.md is run or checked,
 * so the docs cannot rot. The convention (info strings) is written in docs/README.md, "How the
 * docs are tested"; blocks.ts classifies them. In short:
 * - ```ts / ```js: a complete program, run with plain `node` in a scratch folder inside the
 *   repository (so `steward`, `steward/plugins`… resolve to dist/ as an installed package
 *   would); must exit 0 in time; an ```output block right after it is compared with stdout.
 *   Every ```ts block is type-checked (strict) and compiled by one `tsc` run over all of them
 *   (one compiler start instead of a TypeScript loader per block). ```ts vitest: a Vitest test
 *   file, run.
 * - ```js plugin=<id>: a plugin, hosted in a child process (activated, deactivated; fails on
 *   `failed`, leftover resources or untracked handles).
 * - ```json manifest: validated with loadPluginManifest.
 * - ```sh: npm scripts and steward commands (and their options) must exist.
 * - ```text / ```output / ```http: not code. Anything else fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPluginManifest } from '../../src/plugins/index.js';
import { type Block, type BlockRole, extractBlocks, outputMatches, roleOf } from './blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRATCH = join(ROOT, 'test/docs/.run');
const RUN = join(SCRATCH, `run-${process.pid}`);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const STEWARD = join(ROOT, 'dist/cli/main.js');
const HOST_PLUGIN = join(ROOT, 'test/docs/host-plugin.mjs');
/** The one compiler run over every ```ts block gets longer than a block. */
const TSC_TIMEOUT_MS = 120_000;
const BLOCK_TIMEOUT_MS = 60_000;
const CONCURRENCY = 2;

/** The Markdown files whose blocks are tested. */
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  'examples/README.md',
];

/**
 * Shell lines that are neither an npm script, a `steward` command, `node <file>` nor an
 * installed `npx` binary, with the reason they may appear in the docs.
 */
const ALLOWED_SHELL: Record<string, string> = {
  'npm install': "installs the repository's dependencies, or a tarball into an app (npm's own command)",
  'npm pack': "builds the package's tarball (npm's own command; prepack builds dist/)",
  'git clone': 'gets the repository; needs the network, not run',
  cd: 'changes the folder',
};

// ---- plan: what runs where ------------------------------------------------------------------

interface PluginDef {
  readonly id: string;
  readonly single: boolean;
  /** The entry block's line: programs after it see the plugin. */
  entryLine: number;
  leaks: number;
  readonly files: Map<string, string>;
  manifest: string | undefined;
}

interface Planned {
  readonly block: Block;
  readonly role: BlockRole | Error;
  /** Scratch folder of a program or plugin test. */
  readonly dir: string;
  /** Plugins (of the same Markdown file) visible to it. */
  readonly plugins: readonly PluginDef[];
  /** The ```output block right after a program. */
  readonly output: Block | undefined;
  /** Main file of a ```ts program (type-checked). */
  readonly main: string | undefined;
}

function slug(block: Block): string {
  return `${block.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-')}-L${block.line}`;
}

function plan(): Planned[] {
  const out: Planned[] = [];
  for (const doc of DOCS) {
    const blocks = extractBlocks(join(ROOT, doc), ROOT);
    const roles = blocks.map((b): BlockRole | Error => {
      try {
        return roleOf(b);
      } catch (error) {
        return error as Error;
      }
    });
    const defs = new Map<string, PluginDef>();
    blocks.forEach((block, i) => {
      const role = roles[i]!;
      if (role instanceof Error || role.role !== 'plugin') return;
      let def = defs.get(role.id);
      if (!def) {
        def = {
          id: role.id,
          single: role.single,
          entryLine: 0,
          leaks: 0,
          files: new Map(),
          manifest: undefined,
        };
        defs.set(role.id, def);
      }
      if (def.files.has(role.fileName)) {
        roles[i] = new Error(
          `${block.file}:${block.line}: plugin ${role.id} already has a ${role.fileName}.`,
        );
        return;
      }
      def.files.set(role.fileName, block.text);
      if (role.fileName === 'index.js') {
        def.entryLine = block.line;
        def.leaks = role.leaks;
      }
      const previous = blocks[i - 1];
      const previousRole = roles[i - 1];
      if (previous && previousRole && !(previousRole instanceof Error) && previousRole.role === 'manifest') {
        if (manifestId(previous) === role.id) def.manifest = previous.text;
      }
    });
    blocks.forEach((block, i) => {
      const role = roles[i]!;
      const next = blocks[i + 1];
      const nextRole = roles[i + 1];
      const isProgram = !(role instanceof Error) && role.role === 'program';
      const dir = join(RUN, slug(block));
      const plugins = [...defs.values()].filter((d) => d.entryLine > 0 && d.entryLine <= block.line);
      const output =
        isProgram && next && nextRole && !(nextRole instanceof Error) && nextRole.role === 'output'
          ? next
          : undefined;
      let main: string | undefined;
      if (isProgram)
        main = join(
          dir,
          role.vitest ? 'docs-example.test.mts' : role.lang === 'ts' ? 'main.mts' : 'main.mjs',
        );
      out.push({ block, role, dir, plugins, output, main });
    });
  }
  return out;
}

function manifestId(block: Block): string | undefined {
  try {
    const json = JSON.parse(block.text) as { steward?: { id?: unknown } };
    return typeof json.steward?.id === 'string' ? json.steward.id : undefined;
  } catch {
    return undefined;
  }
}

function writePlugins(dir: string, plugins: readonly PluginDef[]): void {
  const pluginsDir = join(dir, 'plugins');
  mkdirSync(pluginsDir, { recursive: true });
  for (const def of plugins) {
    if (def.single) {
      writeFileSync(join(pluginsDir, `${def.id}.mjs`), def.files.get('index.js')!);
      continue;
    }
    const folder = join(pluginsDir, def.id);
    const manifest =
      def.manifest ??
      `${JSON.stringify(
        {
          name: `docs-plugin-${def.id}`,
          version: '1.0.0',
          private: true,
          type: 'module',
          exports: './index.js',
          steward: { id: def.id },
        },
        null,
        2,
      )}\n`;
    for (const [name, text] of [['package.json', manifest] as const, ...def.files]) {
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), text);
    }
  }
}

// ---- child processes ------------------------------------------------------------------------

/** At most CONCURRENCY children at a time (2 cores). */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const children = new Set<ChildProcess>();

/** os.tmpdir() of the blocks: removed with the scratch folder, so blocks leave nothing in /tmp. */
const TMP = join(RUN, 'tmp');

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TMPDIR: TMP };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  delete env.TEST;
  return env;
}

function run(args: readonly string[], cwd: string, timeoutMs = BLOCK_TIMEOUT_MS): Promise<Exit> {
  return limited(
    () =>
      new Promise<Exit>((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd, env: childEnv(), detached: true, stdio: 'pipe' });
        children.add(child);
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup(child);
        }, timeoutMs);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          children.delete(child);
          killGroup(child); // whatever the block left running in its group
          resolve({ code, signal, stdout, stderr, timedOut });
        });
      }),
  );
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function describeExit(exit: Exit, what: string): string {
  const how = exit.timedOut
    ? `did not exit within ${BLOCK_TIMEOUT_MS} ms (a handle left open? close servers, clear timers)`
    : `exited with ${exit.code ?? exit.signal}`;
  return `${what} ${how}.\n--- stdout ---\n${exit.stdout}\n--- stderr ---\n${exit.stderr}`;
}

// ---- shell commands -------------------------------------------------------------------------

const scripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const stewardHelp = new Map<string, Promise<Exit>>();

/** Problems with one shell line, or an empty list. */
async function checkShellLine(line: string): Promise<string[]> {
  const words = line
    .replace(/^(\w+=\S*\s+)+/, '')
    .split(/\s+/)
    .filter(Boolean);
  const [cmd, sub, ...rest] = words;
  if (cmd === undefined) return [];
  const allowed = Object.keys(ALLOWED_SHELL).find((prefix) => `${words.join(' ')} `.startsWith(`${prefix} `));
  if (allowed) return [];
  if (cmd === 'npm') {
    const script = sub === 'run' || sub === 'run-script' ? rest[0] : sub;
    if (script === undefined) return [`"${line}": which npm script?`];
    return scripts[script] === undefined
      ? [`"${line}": package.json has no script "${script}" (scripts: ${Object.keys(scripts).join(', ')})`]
      : [];
  }
  if (cmd === 'steward' || (cmd === 'npx' && sub === 'steward')) {
    const args = cmd === 'steward' ? [sub, ...rest] : rest;
    return checkSteward(
      line,
      args.filter((a): a is string => a !== undefined),
    );
  }
  if (cmd === 'npx') {
    return sub !== undefined && readdirSync(join(ROOT, 'node_modules/.bin')).includes(sub)
      ? []
      : [`"${line}": ${sub} is not an installed binary (node_modules/.bin)`];
  }
  if (cmd === 'node') {
    const file = words.slice(1).find((w, i, all) => !w.startsWith('-') && all[i - 1] !== '--import');
    if (file === undefined) return [`"${line}": node runs which file?`];
    try {
      readFileSync(join(ROOT, file));
      return [];
    } catch {
      return [`"${line}": ${file} does not exist in the repository`];
    }
  }
  return [
    `"${line}": not an npm script, a steward command, node <file> or npx <installed bin>; ` +
      `add it to ALLOWED_SHELL in test/docs/code-blocks.test.ts with a reason if it belongs in the docs`,
  ];
}

async function checkSteward(line: string, args: readonly string[]): Promise<string[]> {
  const command = args[0];
  if (command === undefined || command.startsWith('-')) return [];
  let help = stewardHelp.get(command);
  if (!help) {
    help = run([STEWARD, command, '--help'], ROOT);
    stewardHelp.set(command, help);
  }
  const exit = await help;
  if (exit.code !== 0) return [`"${line}": \`steward ${command} --help\` ${describeExit(exit, 'failed:')}`];
  const problems: string[] = [];
  for (const arg of args.slice(1)) {
    const option = arg.replace(/^\[/, '').match(/^(--?[\w-]+)/)?.[1];
    if (option && !new RegExp(`(^|[\\s,\\[])${option}(?![\\w-])`, 'm').test(exit.stdout)) {
      problems.push(`"${line}": steward ${command} has no option ${option} (see steward ${command} --help)`);
    }
  }
  return problems;
}

/** The commands of a ```sh block: comments and prompts removed, continuations joined, `&&` split. */
function shellLines(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) =>
      l
        .replace(/(^|\s)#.*$/, '')
        .replace(/^\$\s+/, '')
        .trim(),
    )
    .filter(Boolean)
    .flatMap((l) => l.split(/\s*(?:&&|\|\||;)\s*/));
}

// ---- the tests ------------------------------------------------------------------------------

const planned = plan();
let compiled: Promise<Map<string, string[]>> | undefined;

beforeAll(() => {
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true, mode: 0o700 });
  // Plugins in scratch folders import `steward` like an application's plugins: through node_modules.
  mkdirSync(join(SCRATCH, 'node_modules'), { recursive: true });
  try {
    symlinkSync(relative(join(SCRATCH, 'node_modules'), ROOT), join(SCRATCH, 'node_modules/steward'), 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const p of planned) {
    if (p.role instanceof Error || (p.role.role !== 'program' && p.role.role !== 'plugin')) continue;
    mkdirSync(p.dir, { recursive: true });
    writePlugins(p.dir, p.plugins);
    if (p.main) writeFileSync(p.main, p.block.text);
    if (p.role.role === 'program' && p.role.vitest) {
      writeFileSync(
        join(p.dir, 'vitest.config.mts'),
        "export default { test: { include: ['*.test.mts'], watch: false } };\n",
      );
    }
  }
  writeFileSync(
    join(RUN, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2023', 'esnext.disposable', 'esnext.decorators'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: true,
        sourceMap: true, // stacks name main.mts and its lines (node --enable-source-maps)
        types: ['node'],
        // main.mts → main.mjs beside it, run by plain node (noEmitOnError is off: a block with a
        // type error still runs, and the type-check test names the error).
      },
      include: ['*/*.mts'],
    }),
  );
});

afterAll(() => {
  for (const child of children) killGroup(child);
  rmSync(RUN, { recursive: true, force: true });
});

/**
 * Type errors by main file, from one `tsc` run over every ```ts block, which also compiles each
 * main.mts to the main.mjs its program test runs. Started once, awaited by every ```ts test.
 */
function compile(): Promise<Map<string, string[]>> {
  compiled ??= run([TSC, '-p', join(RUN, 'tsconfig.json')], RUN, TSC_TIMEOUT_MS).then((exit) => {
    const errors = new Map<string, string[]>();
    if (exit.timedOut) errors.set('*', [describeExit(exit, 'tsc')]);
    for (const line of exit.stdout.split('\n')) {
      const m = line.match(/^(.+?)\((\d+),(\d+)\): (error TS\d+: .*)$/);
      if (!m) continue;
      const file = join(RUN, m[1]!);
      const list = errors.get(file) ?? [];
      list.push(`${m[2]}\t${m[4]}`);
      errors.set(file, list);
    }
    if (errors.size === 0 && exit.code !== 0) errors.set('*', [describeExit(exit, 'tsc')]);
    return errors;
  });
  return compiled;
}

describe.concurrent('code blocks of the docs', () => {
  it('type-checks every ```ts block (strict)', { timeout: TSC_TIMEOUT_MS + 10_000 }, async () => {
    const errors = await compile();
    const lines: string[] = [];
    for (const p of planned) {
      for (const error of (p.main && errors.get(p.main)) || []) {
        const [line, message] = error.split('\t');
        lines.push(`${p.block.file}:${p.block.line + Number(line)}: ${message}`);
      }
    }
    if (errors.has('*')) lines.push(...errors.get('*')!);
    if (lines.length > 0) expect.fail(`type errors in the docs' ts blocks:\n${lines.join('\n')}`);
  });

  for (const p of planned) {
    const { block, role } = p;
    const name = `${block.file}:${block.line} \`\`\`${block.info}`;
    if (role instanceof Error) {
      it(name, () => {
        throw role;
      });
      continue;
    }
    switch (role.role) {
      case 'program':
        it(name, { timeout: TSC_TIMEOUT_MS + BLOCK_TIMEOUT_MS + 10_000 }, async () => {
          if (role.lang === 'ts' && !role.vitest) await compile(); // writes main.mjs
          const args = role.vitest
            ? [VITEST, 'run', '--config', join(p.dir, 'vitest.config.mts')]
            : role.lang === 'ts'
              ? ['--enable-source-maps', p.main!.replace(/\.mts$/, '.mjs')]
              : [p.main!];
          const exit = await run(args, p.dir);
          if (exit.code !== 0) expect.fail(describeExit(exit, `${block.file}:${block.line}: the program`));
          if (p.output && !outputMatches(exit.stdout, p.output.text)) {
            expect.fail(
              `${block.file}:${block.line}: stdout does not match the output block at line ${p.output.line} ` +
                `(… matches anything).\n--- expected ---\n${p.output.text}--- actual ---\n${exit.stdout}`,
            );
          }
        });
        break;
      case 'plugin':
        if (role.fileName !== 'index.js') break; // a plugin's other files run with its entry
        it(name, { timeout: BLOCK_TIMEOUT_MS + 10_000 }, async () => {
          const exit = await run(
            [HOST_PLUGIN, join(p.dir, 'plugins'), role.id, String(role.leaks), join(p.dir, 'storage')],
            p.dir,
          );
          if (exit.code !== 0)
            expect.fail(describeExit(exit, `${block.file}:${block.line}: hosting plugin ${role.id}`));
        });
        break;
      case 'manifest':
        it(name, async () => {
          let json: { main?: unknown; exports?: unknown };
          try {
            json = JSON.parse(block.text) as typeof json;
          } catch (error) {
            throw new Error(`${block.file}:${block.line}: not valid JSON: ${(error as Error).message}`);
          }
          const dir = join(RUN, slug(block));
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'package.json'), block.text);
          const entry =
            typeof json.exports === 'string' ? json.exports : typeof json.main === 'string' ? json.main : '';
          if (entry) writeFileSync(join(dir, entry), 'export default { activate() {} };\n');
          const result = await loadPluginManifest(dir);
          if (result.kind !== 'plugin') {
            expect.fail(
              `${block.file}:${block.line}: ${
                result.kind === 'invalid' ? result.errors.map((e) => e.message).join('\n') : result.reason
              }`,
            );
          }
        });
        break;
      case 'shell':
        it(name, async () => {
          const problems = (await Promise.all(shellLines(block.text).map(checkShellLine))).flat();
          expect(problems, `${block.file}:${block.line}:\n${problems.join('\n')}`).toEqual([]);
        });
        break;
      default:
        // output, text, http: not code. ```ts declaration (docs/api.md): checked by api.test.ts.
        break;
    }
  }
});
