/**
 * docs/api.md is generated from the declarations the build emits (scripts/api-docs.ts). These
 * tests regenerate it in memory: they fail when the committed page is stale, when an exported
 * symbol has no doc comment, or when the generator misses a name an entry point exports.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  API_DOC,
  collectApi,
  commentText,
  ENTRY_POINTS,
  membersOf,
  ROOT,
  renderApiMarkdown,
  splitStatements,
  undocumented,
} from '../../scripts/api-docs.js';

describe('docs/api.md', () => {
  // dist/ is built by the global setup.
  const api = collectApi(ROOT);

  it('is up to date with the doc comments in src/', () => {
    const current = readFileSync(API_DOC, 'utf8');
    const fresh = renderApiMarkdown(api);
    if (current !== fresh) {
      const a = current.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      expect.fail(
        `docs/api.md is stale (first difference at line ${line + 1}: "${a[line] ?? ''}" should be "${b[line] ?? ''}").\n` +
          'Regenerate it: node --import tsx scripts/api-docs.ts',
      );
    }
  });

  it('documents every exported symbol', () => {
    const missing = undocumented(api);
    if (missing.length > 0) {
      expect.fail(
        `${missing.length} exported symbol(s) have no doc comment. Add a /** … */ comment saying what each does ` +
          `and guarantees, then regenerate docs/api.md:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
      );
    }
  });

  it('lists every name each entry point exports in its source', () => {
    for (const [i, entry] of ENTRY_POINTS.entries()) {
      const names = new Set<string>();
      for (const { text } of splitStatements(readFileSync(join(ROOT, entry.source), 'utf8'))) {
        const list = text.match(/^export\s+(?:type\s+)?\{([^}]*)\}/);
        if (list) {
          for (const part of list[1]!.split(',')) {
            const name = part
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .pop()
              ?.trim();
            if (name) names.add(name);
          }
        }
        expect(text, `${entry.source}: export * hides names from this check`).not.toMatch(/^export\s+\*/);
      }
      const documented = api[i]!.symbols.map((s) => s.name);
      expect(documented.sort(), entry.specifier).toEqual([...names].sort());
    }
  });
});

describe('the generator', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function fixture(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'steward-api-docs-'));
    dirs.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it('splits statements at the right places', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal type, in declaration text
    const TYPE_ALIAS = "export type T = { a: ';'; b: `x${string};` } | '}';";
    const statements = splitStatements(
      [
        '/** module */',
        "import type { A } from './a.js';",
        '/** Doc of T. */',
        TYPE_ALIAS,
        'export declare class C<X extends { k: 1 }> extends Base {',
        '    /** m */',
        '    m(): void;',
        '    private p;',
        '}',
        'export declare function f(a: string): void;',
      ].join('\n'),
    );
    expect(statements.map((s) => s.text.split('\n')[0])).toEqual([
      "import type { A } from './a.js';",
      TYPE_ALIAS,
      'export declare class C<X extends { k: 1 }> extends Base {',
      'export declare function f(a: string): void;',
    ]);
    expect(statements[1]!.doc).toBe('/** Doc of T. */');
    expect(statements[3]!.doc).toBeUndefined();
    expect(membersOf(statements[2]!.text)).toEqual([{ name: 'm', signature: 'm(): void', doc: 'm' }]);
  });

  it('turns comments into Markdown', () => {
    expect(
      commentText('/**\n * First line, see {@link Foo}.\n *\n * Second {@link Bar | the bar}.\n */'),
    ).toBe('First line, see `Foo`.\n\nSecond the bar (`Bar`).');
  });

  it('follows re-exports and aliases, keeps overloads, and reports undocumented symbols', () => {
    const root = fixture({
      'src/lib/index.ts':
        '/**\n * The lib.\n * @module lib\n */\n\nexport { f, g as h, type Shape } from "./a.js";\n',
      'src/lib/a.ts': '/** f */\nexport function f() {}\n',
      'dist/lib/index.d.ts':
        "/**\n * The lib.\n * @module lib\n */\nexport { f, g as h, type Shape } from './a.js';\nexport * from './b.js';\n",
      'dist/lib/a.d.ts': [
        '/** Overloaded f. */',
        'export declare function f(a: string): string;',
        'export declare function f(a: number): number;',
        'export declare function g(): void;',
        '/** A shape. */',
        'export interface Shape {',
        '    /** Its area. */',
        '    readonly area: number;',
        '}',
      ].join('\n'),
      'dist/lib/b.d.ts': '/** From b. */\nexport declare const B = 1;\n',
    });
    const api = collectApi(root, [{ specifier: 'lib', source: 'src/lib/index.ts' }]);
    const lib = api[0]!;
    expect(lib.doc).toBe('The lib.');
    expect(lib.symbols.map((s) => [s.name, s.kind])).toEqual([
      ['B', 'const'],
      ['f', 'function'],
      ['h', 'function'],
      ['Shape', 'interface'],
    ]);
    const f = lib.symbols.find((s) => s.name === 'f')!;
    expect(f.declaration).toBe('function f(a: string): string;\nfunction f(a: number): number;');
    expect(f.doc).toBe('Overloaded f.');
    expect(f.source).toBe('src/lib/a.ts:2');
    expect(lib.symbols.find((s) => s.name === 'Shape')!.members).toEqual([
      { name: 'area', signature: 'readonly area: number', doc: 'Its area.' },
    ]);
    expect(undocumented(api)).toEqual(['lib: function h (src/lib/a.ts)']);
    expect(renderApiMarkdown(api)).toContain('**Undocumented.**');
  });

  it('tells a module comment from a declaration’s', () => {
    const root = fixture({
      'src/m/index.ts': '/** The module. */\n\nexport const x = 1;\n',
      'dist/m/index.d.ts': '/** The module. */\nexport declare const x = 1;\n',
      'src/n/index.ts': '/** Doc of y. */\nexport const y = 1;\n',
      'dist/n/index.d.ts': '/** Doc of y. */\nexport declare const y = 1;\n',
    });
    const [m, n] = collectApi(root, [
      { specifier: 'm', source: 'src/m/index.ts' },
      { specifier: 'n', source: 'src/n/index.ts' },
    ]);
    expect(m!.doc).toBe('The module.');
    expect(m!.symbols[0]!.doc).toBeUndefined();
    expect(n!.doc).toBeUndefined();
    expect(n!.symbols[0]!.doc).toBe('Doc of y.');
  });
});
