/** The docs' block convention itself: extraction, classification, output matching. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Block, extractBlocks, outputMatches, roleOf } from './blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-doc-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function block(info: string, file = 'docs/x.md'): Block {
  const [lang = '', ...words] = info.split(' ');
  const attrs = Object.fromEntries(
    words.map((w) =>
      w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, 'true'],
    ),
  );
  return { file, line: 1, info, lang, attrs, text: '' };
}

describe('extractBlocks', () => {
  it('finds fenced blocks with their info string and line, also indented in lists', () => {
    const file = join(dir, 'page.md');
    writeFileSync(
      file,
      [
        '# Page',
        '',
        '```js plugin=clock file=worker.js',
        'a();',
        '```',
        '',
        '- item:',
        '',
        '  ~~~sh',
        '  npm test',
        '  ~~~',
        '',
      ].join('\n'),
    );
    const blocks = extractBlocks(file, dir);
    expect(blocks).toEqual([
      {
        file: 'page.md',
        line: 3,
        info: 'js plugin=clock file=worker.js',
        lang: 'js',
        attrs: { plugin: 'clock', file: 'worker.js' },
        text: 'a();\n',
      },
      { file: 'page.md', line: 9, info: 'sh', lang: 'sh', attrs: {}, text: 'npm test\n' },
    ]);
  });

  it('refuses a block that is never closed', () => {
    const file = join(dir, 'open.md');
    writeFileSync(file, '```ts\nlet a = 1;\n');
    expect(() => extractBlocks(file, dir)).toThrow(/open\.md:1: code block is never closed/);
  });
});

describe('roleOf', () => {
  it('classifies the convention', () => {
    expect(roleOf(block('ts'))).toEqual({ role: 'program', lang: 'ts', vitest: false });
    expect(roleOf(block('ts vitest'))).toEqual({ role: 'program', lang: 'ts', vitest: true });
    expect(roleOf(block('ts browser'))).toEqual({ role: 'browser', where: 'page' });
    expect(roleOf(block('ts driver'))).toEqual({ role: 'browser', where: 'driver' });
    expect(() => roleOf(block('ts browser vitest'))).toThrow(/take no other attribute/);
    expect(roleOf(block('js plugin=a leaks=2'))).toEqual({
      role: 'plugin',
      id: 'a',
      fileName: 'index.js',
      single: false,
      leaks: 2,
    });
    expect(roleOf(block('json manifest'))).toEqual({ role: 'manifest' });
    expect(roleOf(block('sh'))).toEqual({ role: 'shell' });
    expect(roleOf(block('http'))).toEqual({ role: 'text' });
    expect(roleOf(block('ts declaration', 'docs/api.md'))).toEqual({ role: 'declaration' });
  });

  it('fails blocks outside the convention, saying what to do', () => {
    expect(() => roleOf(block(''))).toThrow(/without a language.*docs\/README\.md/s);
    expect(() => roleOf(block('yaml'))).toThrow(/```yaml is not part of the docs' convention/);
    expect(() => roleOf(block('json'))).toThrow(/json manifest/);
    expect(() => roleOf(block('ts declaration'))).toThrow(/only for the generated docs\/api\.md/);
    expect(() => roleOf(block('js plugin=Bad'))).toThrow(/not a valid plugin id/);
    expect(() => roleOf(block('js file=x.js'))).toThrow(/need plugin=<id>/);
    expect(() => roleOf(block('ts timeout=5'))).toThrow(/unknown attribute "timeout"/);
  });
});

describe('outputMatches', () => {
  it('compares line by line, ignoring trailing spaces and final newlines', () => {
    expect(outputMatches('a  \nb\n\n', 'a\nb')).toBe(true);
    expect(outputMatches('a\nb\n', 'a\nc\n')).toBe(false);
    expect(outputMatches('a\nb\n', 'a\n')).toBe(false);
  });

  it('treats … as a wildcard within a line, and a lone … as any lines', () => {
    expect(outputMatches('url: http://127.0.0.1:4312/x\n', 'url: http://127.0.0.1:…/x')).toBe(true);
    expect(outputMatches('url: http://127.0.0.1:4312/y\n', 'url: http://127.0.0.1:…/x')).toBe(false);
    expect(outputMatches('first\n1\n2\nlast\n', 'first\n…\nlast')).toBe(true);
    expect(outputMatches('first\nlast\n', 'first\n…\nlast')).toBe(true);
    expect(outputMatches('first\n1\n', 'first\n…\nlast')).toBe(false);
    expect(outputMatches('a.b\n', 'a*b')).toBe(false);
  });
});
