/**
 * Fenced code blocks of the Markdown docs, and what each one is under the docs' convention
 * (docs/README.md, "How the docs are tested"): a program, a plugin, a manifest, shell commands,
 * or text that is not code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The Markdown files whose blocks are tested, relative to `root`: README, docs/*.md, examples/README. */
export function docFiles(root: string): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
    'examples/README.md',
  ];
}

/** One fenced block. */
export interface Block {
  /** Markdown file, relative to the repository root. */
  readonly file: string;
  /** Line of the opening fence (1-based). */
  readonly line: number;
  /** The whole info string, e.g. `js plugin=clock`. */
  readonly info: string;
  /** First word of the info string (`ts`, `js`, `json`, `sh`…); empty when there is none. */
  readonly lang: string;
  /** The other words: `key=value` pairs, and flags with value `true`. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Content, with the fence's indentation removed. */
  readonly text: string;
}

/** Every fenced block of `path` (` ``` ` and `~~~` fences, also indented in lists). */
export function extractBlocks(path: string, root: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const file = relative(root, path);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^(\s*)(`{3,}|~{3,})\s*([^`]*)$/);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const info = open[3]!.trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = lines[j]!.match(/^(\s*)(`{3,}|~{3,})\s*$/);
      if (close && close[2]![0] === fence[0] && close[2]!.length >= fence.length) break;
      body.push(lines[j]!.replace(new RegExp(`^ {0,${indent}}`), ''));
    }
    if (j === lines.length) {
      throw new Error(`${file}:${i + 1}: code block is never closed (no ${fence} after it).`);
    }
    const [lang = '', ...words] = info.split(/\s+/).filter(Boolean);
    const attrs: Record<string, string> = {};
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq === -1) attrs[word] = 'true';
      else attrs[word.slice(0, eq)] = word.slice(eq + 1);
    }
    blocks.push({ file, line: i + 1, info, lang, attrs, text: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

/** What a block is, by the convention. */
export type BlockRole =
  | { readonly role: 'program'; readonly lang: 'ts' | 'js'; readonly vitest: boolean }
  /**
   * `ts browser`: a module run in a Chromium page that maps `steward` and `steward/dom` to dist/;
   * `ts driver`: a Node program that drives a Chromium itself (given in `STEWARD_CHROMIUM`).
   * Both are type-checked and run by browser-blocks.test.ts, not by code-blocks.test.ts.
   */
  | { readonly role: 'browser'; readonly where: 'page' | 'driver' }
  | {
      readonly role: 'plugin';
      readonly id: string;
      /** File name inside the plugin folder; `index.js` for the entry. */
      readonly fileName: string;
      /** A single-module plugin (`plugins/<id>.mjs`) instead of a folder. */
      readonly single: boolean;
      /** Untracked handles the plugin is expected to leave (attribution reports them). */
      readonly leaks: number;
    }
  | { readonly role: 'manifest' }
  | { readonly role: 'shell' }
  | { readonly role: 'output' }
  | { readonly role: 'text' }
  | { readonly role: 'declaration' };

const ATTRS: Record<string, readonly string[]> = {
  ts: ['vitest', 'browser', 'driver'],
  js: ['plugin', 'file', 'single', 'leaks'],
  json: ['manifest'],
};

/** Classify `block`; throws an error naming the block and the convention when it breaks it. */
export function roleOf(block: Block): BlockRole {
  const where = `${block.file}:${block.line}`;
  const allowed = ATTRS[block.lang] ?? [];
  for (const key of Object.keys(block.attrs)) {
    if (!allowed.includes(key) && !(block.lang === 'ts' && key === 'declaration')) {
      throw new Error(
        `${where}: unknown attribute "${key}" in \`\`\`${block.info}. ` +
          'See docs/README.md, "How the docs are tested", for the info strings the docs may use.',
      );
    }
  }
  switch (block.lang) {
    case 'ts':
      if (block.attrs.declaration) {
        if (block.file !== 'docs/api.md') {
          throw new Error(`${where}: \`\`\`ts declaration is only for the generated docs/api.md.`);
        }
        return { role: 'declaration' };
      }
      if (block.attrs.browser || block.attrs.driver) {
        if (Object.keys(block.attrs).length > 1)
          throw new Error(`${where}: \`\`\`ts browser and \`\`\`ts driver take no other attribute.`);
        return { role: 'browser', where: block.attrs.browser ? 'page' : 'driver' };
      }
      return { role: 'program', lang: 'ts', vitest: block.attrs.vitest === 'true' };
    case 'js': {
      const id = block.attrs.plugin;
      if (id === undefined) {
        if (Object.keys(block.attrs).length > 0)
          throw new Error(`${where}: file/single/leaks need plugin=<id>.`);
        return { role: 'program', lang: 'js', vitest: false };
      }
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(id))
        throw new Error(`${where}: plugin=${id} is not a valid plugin id.`);
      const leaks = Number(block.attrs.leaks ?? 0);
      if (!Number.isInteger(leaks) || leaks < 0)
        throw new Error(`${where}: leaks=<n> must be an integer >= 0.`);
      const single = block.attrs.single === 'true';
      const fileName = block.attrs.file ?? 'index.js';
      if (single && block.attrs.file) throw new Error(`${where}: a single-module plugin has no other files.`);
      if (!/^[\w.-]+(\/[\w.-]+)*$/.test(fileName) || fileName.includes('..')) {
        throw new Error(`${where}: file=${fileName} must be a relative path inside the plugin folder.`);
      }
      return { role: 'plugin', id, fileName, single, leaks };
    }
    case 'json':
      if (block.attrs.manifest !== 'true') {
        throw new Error(`${where}: a json block must be a plugin manifest (\`\`\`json manifest).`);
      }
      return { role: 'manifest' };
    case 'sh':
      return { role: 'shell' };
    case 'output':
      return { role: 'output' };
    case 'text':
    case 'http':
      return { role: 'text' };
    case '':
      throw new Error(
        `${where}: code block without a language. Give it one: \`\`\`ts / \`\`\`js (run), \`\`\`sh (commands checked), ` +
          '```text / ```output (not code). See docs/README.md, "How the docs are tested".',
      );
    default:
      throw new Error(
        `${where}: \`\`\`${block.lang} is not part of the docs' convention, so nothing would test it. ` +
          'Use ts/js (run), json manifest, sh, or text/output/http for what is not code (docs/README.md).',
      );
  }
}

/**
 * Whether `actual` (a program's stdout) matches `expected` (an ```output block): line by line,
 * trailing spaces ignored; `…` inside a line matches any text; a line that is only `…`
 * matches any number of lines.
 */
export function outputMatches(actual: string, expected: string): boolean {
  const clean = (text: string): string[] => {
    const lines = text.split('\n').map((l) => l.trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  };
  const got = clean(actual);
  const want = clean(expected);
  const lineMatches = (pattern: string, line: string): boolean => {
    const parts = pattern.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`^${parts.join('.*?')}$`).test(line);
  };
  const match = (w: number, g: number): boolean => {
    if (w === want.length) return g === got.length;
    if (want[w]!.trim() === '…') {
      for (let k = g; k <= got.length; k++) if (match(w + 1, k)) return true;
      return false;
    }
    return g < got.length && lineMatches(want[w]!, got[g]!) && match(w + 1, g + 1);
  };
  return match(0, 0);
}
