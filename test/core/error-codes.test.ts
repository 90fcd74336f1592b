/**
 * Every error Steward throws is a StewardError with a stable, documented code: a scan of src/
 * for plain `Error`s and code-less StewardErrors, and a check of every exported error class
 * against its doc comment and the table in docs/architecture.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { MonitorRequestError } from '../../src/cli/monitor-client.js';
import * as core from '../../src/core/index.js';
import {
  CleanupError,
  StewardError,
  StewardRangeError,
  StewardTypeError,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import * as dom from '../../src/dom/index.js';
import * as monitor from '../../src/monitor/index.js';
import * as node from '../../src/node/index.js';
import * as plugins from '../../src/plugins/index.js';
import { ManifestError } from '../../src/plugins/index.js';
import * as testing from '../../src/testing/index.js';

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const ARCHITECTURE = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // The dashboard's own scripts run in the page, never in an application.
    if (entry.isDirectory()) out.push(...(path.endsWith(join('monitor', 'assets')) ? [] : sources(path)));
    else if (/\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

const BUILT_IN = 'Error|TypeError|RangeError|SyntaxError|ReferenceError|AggregateError|EvalError|URIError';
const ALLOW = 'steward-allow-plain-error:';

/** Where src/ makes an error that is not Steward's own (file:line: text). */
function plainErrors(file: string, text: string): string[] {
  const lines = text.split('\n');
  const found: string[] = [];
  lines.forEach((line, i) => {
    const at = `${relative(ROOT, file)}:${i + 1}: ${line.trim()}`;
    // Marked on the line, the line before, or the line before the doc comment above it.
    let above = i - 1;
    while (above >= 0 && /^\s*(\/\*\*|\*)/.test(lines[above]!)) above--;
    const allowed = [line, lines[i - 1] ?? '', lines[above] ?? ''].some((l) => l.includes(ALLOW));
    for (const match of line.matchAll(new RegExp(`\\bnew (${BUILT_IN})\\(`, 'g'))) {
      const rest = line.slice(match.index);
      // A stack capture (`new Error('here').stack`) is not an error anyone sees.
      if (/^new Error\([^()]*\)\.stack\b/.test(rest) || allowed) continue;
      found.push(at);
    }
    const extended = new RegExp(`\\bclass (\\w+) extends (${BUILT_IN})\\b`).exec(line);
    // Only the branded built-in errors of core/errors.ts (instanceof StewardError too).
    if (extended && !allowed && !text.includes(`brand(${extended[1]});`)) found.push(at);
    if (/\bthrow\s+['"`]/.test(line) && !/^\s*(\*|\/\/)/.test(line)) found.push(at);
  });
  return found;
}

/** `new StewardError(…)` calls in `text` that give no `code`. */
function codeless(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/new StewardError\(/g)) {
    let i = match.index + match[0].length;
    for (let depth = 1; depth > 0 && i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
    }
    const call = text.slice(match.index, i);
    if (!/\bcode:/.test(call)) {
      found.push(
        `${relative(ROOT, file)}:${text.slice(0, match.index).split('\n').length}: ${call.slice(0, 80)}`,
      );
    }
  }
  return found;
}

describe('every error Steward throws is a StewardError with a stable code', () => {
  const files = sources(SRC).map((file) => [file, readFileSync(file, 'utf8')] as const);

  it('src/ throws no plain Error, TypeError, RangeError… (outside the marked spots)', () => {
    expect(files.flatMap(([file, text]) => plainErrors(file, text))).toEqual([]);
  });

  it('the scan finds what it is for (it can fail)', () => {
    const bad = 'function f() {\n  throw new Error("x");\n}\nclass E extends TypeError {}\nthrow "s";\n';
    expect(plainErrors(join(SRC, 'x.ts'), bad)).toHaveLength(3);
    expect(plainErrors(join(SRC, 'x.ts'), 'const s = new Error("here").stack;')).toEqual([]);
    expect(codeless(join(SRC, 'x.ts'), 'throw new StewardError(`a ` + f(1));')).toHaveLength(1);
  });

  it('every new StewardError(…) in src/ gives its code', () => {
    expect(files.flatMap(([file, text]) => codeless(file, text))).toEqual([]);
  });

  it('every code used in src/ is in the table of docs/architecture.md', () => {
    const codes = new Set(
      files.flatMap(([, text]) => [...text.matchAll(/'(STEWARD_[A-Z_]+)'/g)].map((m) => m[1]!)),
    );
    expect(codes.size).toBeGreaterThan(20);
    expect([...codes].filter((code) => !ARCHITECTURE.includes(`\`${code}\``))).toEqual([]);
  });

  const exported = Object.entries({
    core,
    plugins,
    node,
    monitor,
    dom,
    testing,
    cli: { UsageError, MonitorRequestError },
  })
    .flatMap(([entry, module]) =>
      Object.entries(module)
        .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
        .map(([name, value]) => ({
          entry,
          name,
          cls: value as (new (...args: never[]) => Error) & { code?: unknown },
        })),
    )
    .concat([{ entry: 'core', name: 'StewardError', cls: StewardError }]);
  const unique = [...new Map(exported.map((e) => [e.cls, e])).values()];

  it('finds the exported error classes', () => {
    expect(unique.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'ManifestError',
        'GraphError',
        'LeakCheckError',
        'CleanupError',
        'StewardTypeError',
      ]),
    );
  });

  it.each(unique.map((e) => [e.name, e] as const))(
    '%s is a StewardError with its own documented code',
    (name, { cls }) => {
      expect(Object.hasOwn(cls, 'code'), `${name} declares static code`).toBe(true);
      const code = cls.code as string;
      // AccessDeniedError keeps Node's code: a refusal reads the same in every isolation tier.
      expect(code).toMatch(name === 'AccessDeniedError' ? /^ERR_ACCESS_DENIED$/ : /^STEWARD_[A-Z_]+$/);
      expect(Object.create(cls.prototype)).toBeInstanceOf(StewardError);
      // Its doc comment says the code, and the table lists the class with it.
      const file = files.find(([, text]) => new RegExp(`export class ${name}\\b`).test(text));
      expect(file, `source of ${name}`).toBeDefined();
      const text = file![1];
      const doc = text.slice(0, text.search(new RegExp(`export class ${name}\\b`)));
      expect(doc.slice(doc.lastIndexOf('/**')), `doc comment of ${name}`).toContain(`Code \`${code}\``);
      expect(ARCHITECTURE).toMatch(new RegExp(`\\| [^\\n]*\`${code}\`[^\\n]*\\| \`${name}\` \\|`));
    },
  );

  it('no two classes share a code', () => {
    const codes = unique.map((e) => e.cls.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('instances carry their class code; branded built-ins are StewardErrors and keep their class', () => {
    expect(new ManifestError('/x/package.json', 'steward.id', 'is wrong').code).toBe(
      'STEWARD_MANIFEST_INVALID',
    );
    expect(new UseAfterCleanupError('c', 'destroyed', 'track into').code).toBe('STEWARD_USE_AFTER_CLEANUP');
    expect(new StewardError('x', { code: 'STEWARD_X' }).code).toBe('STEWARD_X');
    const type = new StewardTypeError('bad');
    expect(type).toBeInstanceOf(TypeError);
    expect(type).toBeInstanceOf(StewardError);
    expect(type.code).toBe('STEWARD_INVALID_ARGUMENT');
    expect(new StewardRangeError('far')).toBeInstanceOf(RangeError);
    expect(new TypeError('plain')).not.toBeInstanceOf(StewardError);
    // A subclass's instanceof is its own: a branded error is not a UseAfterCleanupError.
    expect(type).not.toBeInstanceOf(UseAfterCleanupError);
    const report = {
      componentId: 'c',
      released: 0,
      failed: [],
      abandoned: [],
    } as unknown as ConstructorParameters<typeof CleanupError>[0];
    const cleanup = new CleanupError(report);
    expect(cleanup).toBeInstanceOf(AggregateError);
    expect(cleanup).toBeInstanceOf(StewardError);
    expect(cleanup.code).toBe('STEWARD_CLEANUP_FAILED');
  });

  it('what the API throws for bad input carries a code', async () => {
    const manager = new core.ResourceManager();
    const caught = (() => {
      try {
        manager.register({}, 42 as unknown as string);
      } catch (error) {
        return error;
      }
    })();
    expect(caught).toBeInstanceOf(StewardError);
    expect((caught as StewardError).code).toMatch(/^STEWARD_/);
    await expect(node.recover({ graceMs: -1 })).rejects.toMatchObject({ code: 'STEWARD_OUT_OF_RANGE' });
  });
});
