/**
 * Where plugin code that failed to load went wrong. Node's `SyntaxError` from an ES module import
 * names neither the file nor the line (its stack holds only Node's own frames), so the plugin's
 * modules are parsed again — the entry, then the files it imports from its own folder — and the
 * first one that does not parse gives file:line:column.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { parse } from 'acorn';
import { StewardError } from '../core/index.js';
import { displayPath } from './manifest-errors.js';

/**
 * A plugin module that is not valid JavaScript: which file, line and column (1-based), and
 * Node's own `SyntaxError` as `cause`. Code `STEWARD_PLUGIN_SYNTAX`.
 */
export class PluginSyntaxError extends StewardError {
  override readonly name = 'PluginSyntaxError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_SYNTAX';
  constructor(
    /** Absolute path of the module that does not parse. */
    readonly file: string,
    readonly line: number,
    readonly column: number,
    cause: Error,
  ) {
    super(
      `${displayPath(file)}:${line}:${column}: ${cause.message}; fix the syntax error (plugin modules are ES modules)`,
      { cause },
    );
  }
}

/** How many modules are parsed looking for the error before giving up. */
const MAX_FILES = 200;

const PARSED = /\.(?:m?js)$/;

/** Relative static import/export specifiers of a parsed module. */
function relativeImports(program: ReturnType<typeof parse>): string[] {
  const out: string[] = [];
  for (const node of program.body) {
    if (
      (node.type === 'ImportDeclaration' ||
        node.type === 'ExportAllDeclaration' ||
        node.type === 'ExportNamedDeclaration') &&
      node.source &&
      typeof node.source.value === 'string' &&
      (node.source.value.startsWith('./') || node.source.value.startsWith('../'))
    ) {
      out.push(node.source.value);
    }
  }
  return out;
}

/**
 * The {@link PluginSyntaxError} behind `error`, thrown importing `entry`, when it is a
 * `SyntaxError` that a module of the plugin (under `root`, the entry itself for a single-module
 * plugin) explains; otherwise `error` unchanged.
 */
export async function explainLoadError(error: unknown, entry: string, root: string): Promise<unknown> {
  if (!(error instanceof SyntaxError) || error instanceof PluginSyntaxError) return error;
  const inside = (file: string): boolean => {
    const rel = path.relative(root, file);
    return file === entry || (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel));
  };
  // acorn only on this failure path: a plugin process imports this module on every start.
  const [{ parse }, { ACORN_OPTIONS }] = await Promise.all([
    import('acorn'),
    import('./metadata-literal.js'),
  ]);
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0 && seen.size < MAX_FILES) {
    const file = queue.shift()!;
    if (
      seen.has(file) ||
      !PARSED.test(file) ||
      !inside(file) ||
      file.includes(`${path.sep}node_modules${path.sep}`)
    )
      continue;
    seen.add(file);
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let program: ReturnType<typeof parse>;
    try {
      program = parse(source, { ...ACORN_OPTIONS, locations: true });
    } catch (parseError) {
      const loc = (parseError as { loc?: { line: number; column: number } }).loc;
      if (loc) return new PluginSyntaxError(file, loc.line, loc.column + 1, error);
      continue;
    }
    for (const specifier of relativeImports(program)) {
      queue.push(path.resolve(path.dirname(file), decodeURIComponent(specifier.split(/[?#]/)[0]!)));
    }
  }
  return error;
}

/**
 * Where in the plugin's own files `error` was thrown: `file:line:column` of the first stack
 * frame under `root` (the plugin's folder or its module file), path shown relative to the
 * working folder; undefined when no frame is the plugin's. Reload queries are left out.
 */
export function pluginFrame(error: unknown, root: string): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  if (typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n')) {
    const match = /^\s*at (?:.*?\()?(file:\/\/[^?#)\s]+)(?:[?#][^)\s]*?)?:(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match) continue;
    let file: string;
    try {
      file = fileURLToPath(match[1]!);
    } catch {
      continue;
    }
    const rel = path.relative(root, file);
    if (file !== root && (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))) continue;
    if (rel.split(path.sep).includes('node_modules')) continue;
    return `${displayPath(file)}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
