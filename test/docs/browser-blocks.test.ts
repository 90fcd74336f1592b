/**
 * The docs' browser blocks (docs/README.md, "How the docs are tested"):
 * - ```ts browser — a module that runs in a Chromium page whose import map points `steward` and
 *   `steward/dom` at dist/ (as an application serves them with `loadBrowserModules`). It is
 *   type-checked with the DOM library, compiled by that same `tsc` run, imported by the page, and
 *   must settle without a page error or console error; an ```output block right after it is
 *   compared with what it logged (`console.log`, one line each).
 * - ```ts driver — a Node program that drives a browser itself (e.g. over the DevTools protocol
 *   with steward/testing); type-checked for Node and run with `STEWARD_CHROMIUM` pointing at the
 *   Chromium the browser tests use; its stdout is compared with an ```output block after it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../helpers/chromium.js';
import { type PageServer, startPageServer } from '../helpers/page-server.js';
import { type Block, docFiles, extractBlocks, outputMatches, roleOf } from './blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRATCH = join(ROOT, 'test/docs/.run');
const RUN = join(SCRATCH, `browser-${process.pid}`);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TIMEOUT_MS = 30_000;
const DONE = '\u0000block settled';

const DOCS = docFiles(ROOT);

interface BrowserBlock {
  readonly block: Block;
  readonly where: 'page' | 'driver';
  readonly name: string;
  readonly output: Block | undefined;
}

function plan(): BrowserBlock[] {
  const out: BrowserBlock[] = [];
  for (const doc of DOCS) {
    const blocks = extractBlocks(join(ROOT, doc), ROOT);
    blocks.forEach((block, i) => {
      let role: ReturnType<typeof roleOf>;
      try {
        role = roleOf(block);
      } catch {
        return; // code-blocks.test.ts reports blocks outside the convention
      }
      if (role.role !== 'browser') return;
      const next = blocks[i + 1];
      const name = `${block.file.replace(/\.md$/, '').replace(/[^\w]+/g, '-')}-L${block.line}`;
      out.push({ block, where: role.where, name, output: next?.lang === 'output' ? next : undefined });
    });
  }
  return out;
}

const planned = plan();
const typeErrors = new Map<string, string[]>();
let browser: Browser | undefined;
let server: PageServer | undefined;

/** One `tsc` run per kind: page blocks with the DOM library (and emitted), driver blocks for Node. */
function compile(where: 'page' | 'driver'): void {
  const dir = join(RUN, where);
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: where === 'page' ? ['es2023', 'esnext.disposable', 'dom'] : ['es2023', 'esnext.disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: true,
        types: where === 'page' ? [] : ['node'],
        ...(where === 'page' ? { outDir: join(dir, 'emit'), noEmitOnError: false } : { noEmit: true }),
      },
      include: ['*.mts'],
    }),
  );
  let output = '';
  try {
    execFileSync(process.execPath, [TSC, '-p', config], { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  for (const line of output.split('\n')) {
    const m = line.match(/^(.+?)\((\d+),(\d+)\): (error TS\d+: .*)$/);
    if (!m) continue;
    const name = m[1]!.replace(/\.mts$/, '');
    typeErrors.set(name, [...(typeErrors.get(name) ?? []), `line ${m[2]}: ${m[4]}`]);
  }
}

beforeAll(async () => {
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(join(SCRATCH, 'node_modules'), { recursive: true });
  try {
    symlinkSync(relative(join(SCRATCH, 'node_modules'), ROOT), join(SCRATCH, 'node_modules/steward'), 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const where of ['page', 'driver'] as const) {
    mkdirSync(join(RUN, where), { recursive: true });
    const mine = planned.filter((p) => p.where === where);
    for (const p of mine) writeFileSync(join(RUN, where, `${p.name}.mts`), p.block.text);
    if (mine.length > 0) compile(where);
  }
  if (planned.some((p) => p.where === 'page')) {
    const emit = join(RUN, 'page/emit');
    server = await startPageServer({
      route: (req, res) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        const m = path.match(/^\/blocks\/([\w-]+\.mjs)$/);
        if (!m) return false;
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(readFileSync(join(emit, m[1]!)));
        return true;
      },
    });
    browser = await launchChromium(['--js-flags=--expose-gc']); // the docs say gc() is exposed
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(RUN, { recursive: true, force: true });
});

function checkOutput(p: BrowserBlock, lines: string): void {
  if (p.output && !outputMatches(lines, p.output.text)) {
    expect.fail(
      `${p.block.file}:${p.block.line}: what it printed does not match the output block at line ${p.output.line} ` +
        `(… matches anything).\n--- expected ---\n${p.output.text}--- actual ---\n${lines}`,
    );
  }
}

describe('browser blocks of the docs', () => {
  it('every doc with browser code has some (the kind is in use)', () => {
    expect(planned.map((p) => p.block.file)).toContain('docs/browser.md');
  });

  for (const p of planned) {
    it(`${p.block.file}:${p.block.line} \`\`\`${p.block.info}`, {
      timeout: TIMEOUT_MS + 10_000,
    }, async () => {
      const errors = typeErrors.get(p.name);
      if (errors)
        expect.fail(
          `${p.block.file}:${p.block.line}: type errors (line numbers within the block):\n${errors.join('\n')}`,
        );
      if (p.where === 'driver') {
        const { path } = await findChromium();
        const stdout = await new Promise<string>((resolve, reject) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', join(RUN, 'driver', `${p.name}.mts`)],
            {
              cwd: join(RUN, 'driver'),
              env: { ...process.env, STEWARD_CHROMIUM: path, NO_COLOR: '1' },
              timeout: TIMEOUT_MS,
            },
            (error, out, err) =>
              error
                ? reject(
                    new Error(
                      `${p.block.file}:${p.block.line}: the program failed: ${error.message}\n${out}\n${err}`,
                    ),
                  )
                : resolve(out),
          );
        });
        checkOutput(p, stdout);
        return;
      }
      const context = await browser!.newContext();
      try {
        const page = await context.newPage();
        const logged: string[] = [];
        const problems: string[] = [];
        let settled!: () => void;
        const done = new Promise<void>((resolve) => (settled = resolve));
        page.on('console', (m) => {
          if (m.text() === DONE) settled();
          else if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
          else if (m.type() === 'log' || m.type() === 'info') logged.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        await page.goto(server!.url);
        const result = await page.evaluate(
          `import('/blocks/${p.name}.mjs').then(() => { console.log(${JSON.stringify(DONE)}); return 'ok'; }, (e) => String(e && e.stack || e))`,
        );
        if (result !== 'ok') expect.fail(`${p.block.file}:${p.block.line}: the module threw: ${result}`);
        await done;
        expect(problems, `${p.block.file}:${p.block.line}`).toEqual([]);
        checkOutput(p, `${logged.join('\n')}\n`);
      } finally {
        await context.close();
      }
    });
  }
});
