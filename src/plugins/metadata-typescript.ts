/**
 * Finding `export const metadata = { ... }` in TypeScript sources, which acorn cannot parse: a small
 * tokenizer locates the declaration at the top level (type annotations and `as const` / `satisfies`
 * after the literal are tolerated), and only the object literal itself is parsed.
 */
import { type Expression, parseExpressionAt } from 'acorn';
import { ManifestError } from './manifest-errors.js';
import {
  ACORN_OPTIONS,
  asObject,
  type ExtractedMetadata,
  literalValue,
  location,
  syntaxError,
} from './metadata-literal.js';

interface Token {
  readonly type: 'name' | 'punct' | 'other';
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Brace depth before the token (for "}" after it is closed, i.e. the depth of its "{"). */
  readonly depth: number;
}

const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'instanceof',
  'yield',
  'await',
]);

/**
 * A small TypeScript-tolerant tokenizer: skips comments, strings, template literals (with nested `${}`)
 * and regular expressions, tracks brace depth, and yields names and punctuation. It does not need to
 * understand types; it only has to find top-level `export const metadata` and the braces around it.
 */
function* tokenize(source: string): Generator<Token> {
  const stack: ('brace' | 'template')[] = [];
  let previous: Token | undefined;
  let i = 0;
  const n = source.length;
  const isNameStart = (c: string) => /[A-Za-z_$\u0080-\uffff]/.test(c);
  const isNamePart = (c: string) => /[\w$\u0080-\uffff]/.test(c);

  const scanTemplate = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = source[j];
      if (c === '\\') j += 2;
      else if (c === '`') return j + 1;
      else if (c === '$' && source[j + 1] === '{') {
        stack.push('template');
        return j + 2;
      } else j++;
    }
    return n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    const start = i;
    if (
      c === ' ' ||
      c === '\t' ||
      c === '\n' ||
      c === '\r' ||
      c === '\ufeff' ||
      c === '\u2028' ||
      c === '\u2029'
    ) {
      i++;
      continue;
    }
    if (c === '#' && next === '!' && i === 0) {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = source.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    let token: Token;
    const depth = stack.length;
    if (c === '"' || c === "'") {
      i++;
      while (i < n && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      i++;
      token = { type: 'other', value: 'string', start, end: i, depth };
    } else if (c === '`') {
      i = scanTemplate(i + 1);
      token = { type: 'other', value: 'template', start, end: i, depth };
    } else if (isNameStart(c)) {
      i++;
      while (i < n && isNamePart(source[i]!)) i++;
      token = { type: 'name', value: source.slice(start, i), start, end: i, depth };
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      i++;
      while (i < n && /[\w.]/.test(source[i]!)) i++;
      token = { type: 'other', value: 'number', start, end: i, depth };
    } else if (
      c === '/' &&
      (previous === undefined ||
        (previous.type === 'punct' && !/^[)\]}]$/.test(previous.value)) ||
        (previous.type === 'name' && REGEX_AFTER_WORDS.has(previous.value)))
    ) {
      i++;
      let inClass = false;
      while (i < n && source[i] !== '\n') {
        const r = source[i];
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && isNamePart(source[i]!)) i++;
      token = { type: 'other', value: 'regex', start, end: i, depth };
    } else if (c === '{') {
      stack.push('brace');
      i++;
      token = { type: 'punct', value: '{', start, end: i, depth };
    } else if (c === '}') {
      const top = stack.pop();
      i++;
      if (top === 'template') {
        i = scanTemplate(i);
        token = { type: 'other', value: 'template', start, end: i, depth: stack.length };
      } else {
        token = { type: 'punct', value: '}', start, end: i, depth: stack.length };
      }
    } else if (c === '=' && (next === '>' || next === '=')) {
      i += 2;
      token = { type: 'punct', value: `=${next}`, start, end: i, depth };
    } else {
      i++;
      token = { type: 'punct', value: c, start, end: i, depth };
    }
    previous = token;
    yield token;
  }
}

/**
 * The `metadata` literal of a TypeScript module, or undefined when it has no
 * `export const metadata`. Throws a ManifestError for anything that is not a literal.
 */
export function extractFromTypeScript(source: string, file: string): ExtractedMetadata | undefined {
  const tokens = [...tokenize(source)];
  const top = tokens.filter((t) => t.depth === 0 && t.type !== 'other');
  for (let k = 2; k < top.length; k++) {
    const a = top[k - 2]!;
    const b = top[k - 1]!;
    const c = top[k]!;
    if (a.value !== 'export' || !['const', 'let', 'var'].includes(b.value) || c.value !== 'metadata')
      continue;
    if (a.type !== 'name' || b.type !== 'name' || c.type !== 'name') continue;
    if (b.value !== 'const') {
      throw new ManifestError(
        file,
        'metadata',
        `is declared with "${b.value}" at ${location(source, b.start)}; declare it as export const metadata = { ... }`,
      );
    }
    // Skip an optional type annotation up to the "=" at nesting level 0, then expect "{".
    let i = tokens.indexOf(c) + 1;
    let nesting = 0;
    for (; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type !== 'punct') continue;
      if (t.value === '=' && t.depth === 0 && nesting === 0) break;
      if (t.value === ';' && t.depth === 0) i = tokens.length;
      else if (/^[([<]$/.test(t.value)) nesting++;
      else if (/^[)\]>]$/.test(t.value)) nesting--;
    }
    const open = tokens[i + 1];
    if (i >= tokens.length || !open) {
      throw new ManifestError(
        file,
        'metadata',
        `has no value at ${location(source, c.start)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
      );
    }
    if (open.type !== 'punct' || open.value !== '{') {
      throw new ManifestError(
        file,
        'metadata',
        `must be an object literal at ${location(source, open.start)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
      );
    }
    const close = tokens.find(
      (t, j) => j > i + 1 && t.type === 'punct' && t.value === '}' && t.depth === open.depth,
    );
    if (!close) {
      throw new ManifestError(
        file,
        'metadata',
        `object literal starting at ${location(source, open.start)} is never closed; add the missing "}"`,
      );
    }
    const text = source.slice(open.start, close.end);
    let node: Expression;
    try {
      node = parseExpressionAt(text, 0, ACORN_OPTIONS);
    } catch (error) {
      throw syntaxError(
        file,
        source,
        error,
        open.start,
        'metadata must be a plain object literal: TypeScript syntax such as "as const" or type assertions is ' +
          'not allowed inside it (put "as const" or "satisfies T" after the closing brace)',
      );
    }
    const value = literalValue(node, source, open.start, file, []);
    return { value: asObject(value, file, source, open.start), offset: open.start };
  }
  return undefined;
}
