/**
 * Generates docs/api.md, the API reference, from the doc comments of every symbol exported by
 * the package's entry points. It reads the declarations `tsc -p tsconfig.build.json` emits into
 * dist/ (TypeScript 7 has no JavaScript API, so the `.d.ts` files are the compiler's output we
 * can read; they keep `/** *\/` comments and drop `@internal` members), follows `export … from`
 * re-exports to the declaring file, and writes, per symbol: kind, name, declaration and doc.
 *
 *   node --import tsx scripts/api-docs.ts            build dist/, then write docs/api.md
 *   node --import tsx scripts/api-docs.ts --check    exit 1 if docs/api.md is stale
 *   node --import tsx scripts/api-docs.ts --no-build use the dist/ already built
 *
 * It also lists the exported symbols that have no doc comment (printed, and exit code 1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One public entry point: its import specifier and the source file behind it. */
export interface EntryPoint {
  /** What users import: `steward`, `steward/node`… */
  readonly specifier: string;
  /** The entry's source file, relative to the repository root. */
  readonly source: string;
}

/** The package's entry points, in the order the reference lists them. */
export const ENTRY_POINTS: readonly EntryPoint[] = [
  { specifier: 'steward', source: 'src/core/index.ts' },
  { specifier: 'steward/dom', source: 'src/dom/index.ts' },
  { specifier: 'steward/node', source: 'src/node/index.ts' },
  { specifier: 'steward/plugins', source: 'src/plugins/index.ts' },
  { specifier: 'steward/monitor', source: 'src/monitor/index.ts' },
  { specifier: 'steward/testing', source: 'src/testing/index.ts' },
];

/** What kind of declaration a symbol is. */
export type SymbolKind =
  | 'class'
  | 'interface'
  | 'type'
  | 'function'
  | 'const'
  | 'enum'
  | 'namespace'
  | 'unknown';

/** A member of an exported class or interface. */
export interface ApiMember {
  readonly name: string;
  /** The member's declaration, on one line. */
  readonly signature: string;
  readonly doc: string | undefined;
}

/** One exported symbol of an entry point. */
export interface ApiSymbol {
  /** The name it is exported under. */
  readonly name: string;
  /** The name of the declaration, when it is exported under another (`export { a as b }`). */
  readonly declaredAs?: string;
  readonly kind: SymbolKind;
  /** The declaration as emitted (every overload of a function), `export declare` removed. */
  readonly declaration: string;
  /** The doc comment, as Markdown; `undefined` when the declaration has none. */
  readonly doc: string | undefined;
  /** Where it is declared: source file and line, relative to the repository root. */
  readonly source: string;
  /** Public members of a class or interface, in declaration order. */
  readonly members: readonly ApiMember[];
}

/** The reference of one entry point. */
export interface ApiEntry {
  readonly specifier: string;
  /** The entry file's module comment (`@module` removed). */
  readonly doc: string | undefined;
  /** Exported symbols, sorted by name. */
  readonly symbols: readonly ApiSymbol[];
}

// ---- scanning declaration files ---------------------------------------------------------------

/** A top-level statement of a `.d.ts` file with the doc comment right before it. */
interface Statement {
  readonly text: string;
  readonly doc: string | undefined;
  /** Whether `doc` was the first comment of the file (maybe the module's comment). */
  readonly docIsFirstComment: boolean;
}

/**
 * Split declaration-file text into top-level statements. Tracks strings, template literals,
 * comments and bracket depth; a statement ends at a `;` at depth 0, or at the `}` closing the
 * body of a class, interface, enum or namespace.
 */
export function splitStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let depth = 0;
  let start = -1; // start of the current statement, -1 between statements
  let opened = -1; // index of the last `{` opened at depth 0
  let pendingDoc: string | undefined;
  let pendingFirst = false;
  let comments = 0;
  let i = 0;
  const bodyKeyword =
    /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface|enum|namespace|module)\b/;
  const finish = (end: number): void => {
    out.push({ text: text.slice(start, end).trim(), doc: pendingDoc, docIsFirstComment: pendingFirst });
    start = -1;
    pendingDoc = undefined;
    pendingFirst = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const close = end === -1 ? text.length : end + 2;
      if (start === -1 && depth === 0) {
        comments++;
        if (text[i + 2] === '*' && text[i + 3] !== '/') {
          pendingDoc = text.slice(i, close);
          pendingFirst = comments === 1;
        }
      }
      i = close;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (start === -1) start = i;
    if (c === "'" || c === '"') {
      i = skipString(text, i, c);
      continue;
    }
    if (c === '`') {
      i = skipTemplate(text, i);
      continue;
    }
    if (c === '{' || c === '(' || c === '[') {
      if (depth === 0 && c === '{') opened = i;
      depth++;
    } else if (c === '}' || c === ')' || c === ']') {
      depth--;
      // The `}` closing a class/interface body (not an object type in its type parameters).
      const statement = text.slice(start, i);
      if (
        depth === 0 &&
        c === '}' &&
        bodyKeyword.test(statement) &&
        start + bodyStart(statement) === opened
      ) {
        finish(i + 1);
        i++;
        continue;
      }
    } else if (c === ';' && depth === 0) {
      finish(i + 1);
      i++;
      continue;
    }
    i++;
  }
  if (start !== -1) finish(text.length);
  return out;
}

function skipString(text: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipTemplate(text: string, from: number): number {
  let i = from + 1;
  while (i < text.length && text[i] !== '`') {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '$' && text[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}') depth--;
        i++;
      }
    } else i++;
  }
  return i + 1;
}

/** The text of a `/** … *\/` comment as Markdown: the ` * ` prefixes and `{@link X}` removed. */
export function commentText(comment: string): string {
  const body = comment.replace(/^\/\*\*/, '').replace(/\*\/$/, '');
  const lines = body.split('\n').map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines
    .join('\n')
    .replace(/\{@link\s+([^}\s|]+)(?:[\s|]+([^}]+))?\}/g, (_, target: string, label?: string) =>
      label ? `${label.trim()} (\`${target}\`)` : `\`${target}\``,
    )
    .trim();
}

// ---- declarations and re-exports ----------------------------------------------------------------

/** A declaration found in a file (exported or not; a local one may be exported by a list). */
interface Declaration {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly texts: string[];
  doc: string | undefined;
  readonly file: string;
}

/** What one `.d.ts` file declares and exports. */
interface ParsedFile {
  readonly file: string;
  readonly moduleDoc: string | undefined;
  /** Declarations by name (local or exported). */
  readonly declarations: Map<string, Declaration>;
  /** Exported name → how to find it. */
  readonly exports: Map<string, ExportRef>;
  /** `export * from` targets. */
  readonly stars: string[];
  /** Local name → imported binding (to resolve `export { x }` of an import). */
  readonly imports: Map<string, { from: string; name: string }>;
}

type ExportRef =
  | { readonly kind: 'local'; readonly name: string }
  | { readonly kind: 'from'; readonly from: string; readonly name: string }
  | { readonly kind: 'namespace'; readonly from: string };

const DECLARATION =
  /^(export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(class|interface|type|function|const|let|var|enum|namespace|module)\s+([A-Za-z_$][\w$]*)/;

function kindOf(keyword: string): SymbolKind {
  switch (keyword) {
    case 'class':
    case 'interface':
    case 'type':
    case 'function':
    case 'enum':
    case 'namespace':
      return keyword;
    case 'module':
      return 'namespace';
    case 'const':
    case 'let':
    case 'var':
      return 'const';
    default:
      return 'unknown';
  }
}

/** `a, type b as c` → pairs of (local name, exported name). */
function exportList(list: string): Array<{ local: string; exported: string }> {
  return list
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, ''))
    .filter((part) => part.length > 0)
    .map((part) => {
      const [local, exported] = part.split(/\s+as\s+/);
      return { local: local!.trim(), exported: (exported ?? local!).trim() };
    });
}

/** The source file (`src/…ts`) a declaration file was emitted from. */
function sourceOf(root: string, dtsFile: string): string {
  const rel = relative(join(root, 'dist'), dtsFile).replace(/\.d\.ts$/, '');
  for (const ext of ['.ts', '.mts', '.js', '.mjs']) {
    const candidate = join(root, 'src', rel + ext);
    if (existsSync(candidate)) return candidate;
  }
  return join(root, 'src', `${rel}.ts`);
}

/**
 * The module comment of a source file: its first comment when a blank line or an import
 * follows it (a comment glued to a declaration documents the declaration).
 */
function sourceModuleDoc(sourceFile: string): string | undefined {
  if (!existsSync(sourceFile)) return undefined;
  const text = readFileSync(sourceFile, 'utf8').replace(/^#!.*\n/, '');
  if (!text.startsWith('/**')) return undefined;
  const end = text.indexOf('*/');
  const next = text.slice(end + 2).split('\n')[1] ?? '';
  const isModuleDoc = next.trim() === '' || /^(import|export\s+(\*|\{|type\s+\{))/.test(next);
  return isModuleDoc ? commentText(text.slice(0, end + 2)) : undefined;
}

function parseFile(root: string, file: string): ParsedFile {
  const text = readFileSync(file, 'utf8');
  const parsed: ParsedFile = {
    file,
    moduleDoc: undefined,
    declarations: new Map(),
    exports: new Map(),
    stars: [],
    imports: new Map(),
  };
  let moduleDoc: string | undefined;
  const sourceDoc = sourceModuleDoc(sourceOf(root, file));
  const statements = splitStatements(text);
  statements.forEach((statement) => {
    let doc = statement.doc;
    if (
      doc !== undefined &&
      statement.docIsFirstComment &&
      (/@module\b/.test(doc) || commentText(doc) === sourceDoc)
    ) {
      moduleDoc = doc;
      doc = undefined;
    }
    const s = statement.text;
    let m: RegExpMatchArray | null;
    if ((m = s.match(/^export\s+\*\s+as\s+([\w$]+)\s+from\s+['"]([^'"]+)['"]/))) {
      parsed.exports.set(m[1]!, { kind: 'namespace', from: m[2]! });
    } else if ((m = s.match(/^export\s+\*\s+from\s+['"]([^'"]+)['"]/))) {
      parsed.stars.push(m[1]!);
    } else if ((m = s.match(/^export\s+(?:type\s+)?\{([^}]*)\}\s*from\s+['"]([^'"]+)['"]/))) {
      for (const { local, exported } of exportList(m[1]!)) {
        parsed.exports.set(exported, { kind: 'from', from: m[2]!, name: local });
      }
    } else if ((m = s.match(/^export\s+(?:type\s+)?\{([^}]*)\}\s*;?$/))) {
      for (const { local, exported } of exportList(m[1]!)) {
        parsed.exports.set(exported, { kind: 'local', name: local });
      }
    } else if ((m = s.match(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+['"]([^'"]+)['"]/))) {
      for (const { local, exported } of exportList(m[1]!)) {
        parsed.imports.set(exported, { from: m[2]!, name: local });
      }
    } else if ((m = s.match(DECLARATION))) {
      const name = m[3]!;
      const existing = parsed.declarations.get(name);
      if (existing) {
        existing.texts.push(s);
        existing.doc ??= doc;
      } else {
        parsed.declarations.set(name, { name, kind: kindOf(m[2]!), texts: [s], doc, file });
      }
      if (m[1]) parsed.exports.set(name, { kind: 'local', name });
    } else if ((m = s.match(/^export\s+default\s+([\w$]+)\s*;?$/))) {
      parsed.exports.set('default', { kind: 'local', name: m[1]! });
    }
  });
  return {
    ...parsed,
    moduleDoc:
      moduleDoc &&
      commentText(moduleDoc)
        .replace(/^@module.*$/m, '')
        .trim(),
  };
}

/** Resolves exported names across declaration files, caching parsed files. */
class Resolver {
  readonly #files = new Map<string, ParsedFile>();
  constructor(readonly root: string) {}

  file(path: string): ParsedFile {
    let parsed = this.#files.get(path);
    if (!parsed) {
      if (!existsSync(path))
        throw new Error(`api-docs: ${relative(this.root, path)} does not exist; build first.`);
      parsed = parseFile(this.root, path);
      this.#files.set(path, parsed);
    }
    return parsed;
  }

  target(from: string, specifier: string): string {
    if (!specifier.startsWith('.')) {
      throw new Error(`api-docs: re-export from a package (${specifier}) in ${from} is not supported.`);
    }
    return resolve(dirname(from), specifier.replace(/\.(m?)js$/, '.d.$1ts'));
  }

  /** Every exported name of `path`, with `export *` expanded. */
  exportedNames(path: string, seen = new Set<string>()): string[] {
    if (seen.has(path)) return [];
    seen.add(path);
    const parsed = this.file(path);
    const names = new Set(parsed.exports.keys());
    for (const star of parsed.stars) {
      for (const name of this.exportedNames(this.target(path, star), seen)) {
        if (name !== 'default') names.add(name);
      }
    }
    return [...names];
  }

  /** The declaration behind `name` as exported by `path`. */
  resolve(path: string, name: string, depth = 0): Declaration | undefined {
    if (depth > 50) throw new Error(`api-docs: re-export cycle resolving ${name} from ${path}.`);
    const parsed = this.file(path);
    const ref = parsed.exports.get(name);
    if (ref?.kind === 'from') return this.resolve(this.target(path, ref.from), ref.name, depth + 1);
    if (ref?.kind === 'namespace') {
      return {
        name,
        kind: 'namespace',
        texts: [`export * as ${name} from '${ref.from}';`],
        doc: undefined,
        file: path,
      };
    }
    if (ref?.kind === 'local') {
      const local = parsed.declarations.get(ref.name);
      if (local) return local;
      const imported = parsed.imports.get(ref.name);
      if (imported) return this.resolve(this.target(path, imported.from), imported.name, depth + 1);
      return undefined;
    }
    for (const star of parsed.stars) {
      const found = this.resolve(this.target(path, star), name, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
}

// ---- members ----------------------------------------------------------------------------------

/** The public members of a class or interface declaration (private and `#private` left out). */
export function membersOf(declaration: string): ApiMember[] {
  const open = bodyStart(declaration);
  if (open === -1) return [];
  const body = declaration.slice(open + 1, declaration.lastIndexOf('}'));
  const members: ApiMember[] = [];
  for (const statement of splitStatements(body)) {
    const signature = statement.text
      .replace(/;$/, '')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    if (/^(private\s|#private\b)/.test(signature)) continue;
    const name = memberName(signature);
    members.push({ name, signature, doc: statement.doc && commentText(statement.doc) });
  }
  return members;
}

/** Index of the `{` opening a class or interface body (skipping `{` inside type parameters). */
function bodyStart(declaration: string): number {
  let angle = 0;
  let paren = 0;
  for (let i = 0; i < declaration.length; i++) {
    const c = declaration[i];
    if (c === '<') angle++;
    else if (c === '>' && declaration[i - 1] !== '=') angle--;
    else if (c === '(') paren++;
    else if (c === ')') paren--;
    else if (c === '{' && angle === 0 && paren === 0) return i;
    else if (c === '{') {
      // An object type inside type parameters: skip it whole.
      let depth = 1;
      while (depth > 0 && ++i < declaration.length) {
        if (declaration[i] === '{') depth++;
        else if (declaration[i] === '}') depth--;
      }
    }
  }
  return -1;
}

function memberName(signature: string): string {
  const rest = signature.replace(
    /^((public|protected|static|readonly|abstract|declare|override|accessor|get|set)\s+)*/,
    '',
  );
  if (rest.startsWith('[')) return rest.slice(0, rest.indexOf(']') + 1);
  if (/^(new\s*)?[(<]/.test(rest)) return rest.startsWith('new') ? 'new' : '(call)';
  const m = rest.match(/^([\w$]+|'[^']*'|"[^"]*")/);
  return m ? m[1]! : rest.slice(0, 20);
}

// ---- collecting -------------------------------------------------------------------------------

/** Remove `export`, `declare` and `default` keywords from a declaration's first line. */
function stripExport(text: string): string {
  return text
    .replace(/^export\s+/, '')
    .replace(/^default\s+/, '')
    .replace(/^declare\s+/, '');
}

/** The line of `name`'s declaration in its source file (1-based), or 0 if not found. */
function sourceLine(sourceFile: string, name: string): number {
  if (!existsSync(sourceFile)) return 0;
  const lines = readFileSync(sourceFile, 'utf8').split('\n');
  const pattern = new RegExp(
    `^\\s*(export\\s+)?(default\\s+)?(declare\\s+)?(abstract\\s+)?(async\\s+)?(class|interface|type|function\\*?|const|let|var|enum|namespace)\\s+${name.replace(/\$/g, '\\$')}\\b`,
  );
  const index = lines.findIndex((line) => pattern.test(line));
  return index + 1;
}

/** Build the reference of every entry point from the declarations in `root`/dist. */
export function collectApi(root: string, entries: readonly EntryPoint[] = ENTRY_POINTS): ApiEntry[] {
  const resolver = new Resolver(root);
  return entries.map((entry) => {
    const dts = join(root, 'dist', entry.source.replace(/^src\//, '').replace(/\.ts$/, '.d.ts'));
    const parsed = resolver.file(dts);
    const symbols = resolver
      .exportedNames(dts)
      .sort((a, b) => a.localeCompare(b, 'en'))
      .map((name): ApiSymbol => {
        const declaration = resolver.resolve(dts, name);
        if (!declaration) {
          throw new Error(`api-docs: cannot find the declaration of ${name} exported by ${entry.specifier}.`);
        }
        const sourceFile = sourceOf(root, declaration.file);
        const line = sourceLine(sourceFile, declaration.name);
        const texts = declaration.texts.map(stripExport);
        const isBody = declaration.kind === 'class' || declaration.kind === 'interface';
        return {
          name,
          ...(declaration.name !== name ? { declaredAs: declaration.name } : {}),
          kind: declaration.kind,
          declaration: isBody ? header(texts[0]!) : texts.join('\n'),
          doc: declaration.doc && commentText(declaration.doc),
          source: `${relative(root, sourceFile)}${line > 0 ? `:${line}` : ''}`,
          members: isBody ? membersOf(texts[0]!) : [],
        };
      });
    return { specifier: entry.specifier, doc: parsed.moduleDoc, symbols };
  });
}

/** A class or interface declaration up to its body: `class X<T> extends Y {`. */
function header(declaration: string): string {
  const open = bodyStart(declaration);
  return `${(open === -1 ? declaration : declaration.slice(0, open)).replace(/\s*\n\s*/g, ' ').trim()} { … }`;
}

/** Exported symbols without a doc comment: `steward/node: attributionSeq (src/node/…:12)`. */
export function undocumented(api: readonly ApiEntry[]): string[] {
  const out: string[] = [];
  for (const entry of api) {
    for (const symbol of entry.symbols) {
      if (symbol.doc === undefined || symbol.doc.trim() === '') {
        out.push(`${entry.specifier}: ${symbol.kind} ${symbol.name} (${symbol.source})`);
      }
    }
  }
  return out;
}

// ---- rendering --------------------------------------------------------------------------------

function anchor(specifier: string, name: string): string {
  return `${specifier}-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

function firstSentence(doc: string | undefined): string {
  if (!doc) return '';
  const paragraph = doc.split(/\n\s*\n/)[0]!.replace(/\s*\n\s*/g, ' ');
  // The first sentence: up to a full stop (not the one of "e.g." or "i.e.").
  const end = paragraph.search(/(?<!\b(e\.g|i\.e))\.(\s|$)/);
  const sentence = end === -1 ? paragraph : paragraph.slice(0, end + 1);
  return sentence.replace(/\|/g, '\\|');
}

/** Markdown inline code that survives backticks inside. */
function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = ticks.length > 1 ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** docs/api.md for `api`. Deterministic: the same declarations give the same text. */
export function renderApiMarkdown(api: readonly ApiEntry[]): string {
  const lines: string[] = [
    '# API reference',
    '',
    '<!-- Generated by scripts/api-docs.ts from the declarations in dist/ (npx tsc -p tsconfig.build.json).',
    '     Do not edit: change the doc comments in src/ and run `node --import tsx scripts/api-docs.ts`. -->',
    '',
    'Every symbol exported by the package, entry point by entry point, with its declaration and',
    'the doc comment from the source. Generated from the compiler’s declaration files; a test',
    '(`test/docs/api.test.ts`) fails when this page is out of date or a symbol has no doc comment.',
    '',
    '| import | what it holds |',
    '| --- | --- |',
    ...api.map(
      (e) => `| [${code(e.specifier)}](#${anchor('entry', e.specifier)}) | ${firstSentence(e.doc)} |`,
    ),
    '',
  ];
  for (const entry of api) {
    lines.push(`<a id="${anchor('entry', entry.specifier)}"></a>`, '', `## ${code(entry.specifier)}`, '');
    lines.push(`\`\`\`text\nimport { … } from '${entry.specifier}';\n\`\`\``, '');
    if (entry.doc) lines.push(entry.doc, '');
    lines.push('| symbol | kind | summary |', '| --- | --- | --- |');
    for (const s of entry.symbols) {
      lines.push(
        `| [${code(s.name)}](#${anchor(entry.specifier, s.name)}) | ${s.kind} | ${firstSentence(s.doc)} |`,
      );
    }
    lines.push('');
    for (const s of entry.symbols) {
      lines.push(`<a id="${anchor(entry.specifier, s.name)}"></a>`, '');
      lines.push(`### ${code(s.name)} — ${s.kind}`, '');
      lines.push('```ts declaration', s.declaration, '```', '');
      lines.push(s.doc ?? '**Undocumented.**', '');
      if (s.members.length > 0) {
        lines.push('Members:', '');
        for (const m of s.members) {
          lines.push(`- ${code(m.signature)}${m.doc ? ` — ${m.doc.replace(/\s*\n\s*/g, ' ')}` : ''}`);
        }
        lines.push('');
      }
      const as = s.declaredAs ? ` as ${code(s.declaredAs)}` : '';
      lines.push(`<sub>Declared${as} in ${s.source}.</sub>`, '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

// ---- command line -----------------------------------------------------------------------------

/** The repository root (this file lives in `<root>/scripts`). */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the reference is written. */
export const API_DOC: string = join(ROOT, 'docs', 'api.md');

function main(argv: readonly string[]): number {
  if (!argv.includes('--no-build') && !argv.includes('--check')) {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      {
        stdio: 'inherit',
      },
    );
  }
  const api = collectApi(ROOT);
  const markdown = renderApiMarkdown(api);
  const missing = undocumented(api);
  let status = 0;
  if (argv.includes('--check')) {
    const current = existsSync(API_DOC) ? readFileSync(API_DOC, 'utf8') : '';
    if (current !== markdown) {
      process.stderr.write('docs/api.md is stale: run `node --import tsx scripts/api-docs.ts`.\n');
      status = 1;
    }
  } else {
    writeFileSync(API_DOC, markdown);
    const count = api.reduce((n, e) => n + e.symbols.length, 0);
    process.stdout.write(
      `wrote ${relative(ROOT, API_DOC)}: ${count} symbols from ${api.length} entry points\n`,
    );
  }
  if (missing.length > 0) {
    process.stderr.write(
      `${missing.length} exported symbol(s) without a doc comment:\n${missing.map((m) => `  ${m}`).join('\n')}\n`,
    );
    status = 1;
  }
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
