/**
 * Manifest problems and how they are worded: {@link ManifestError} (file, field, problem) and the
 * small formatting helpers every manifest message uses — relative paths, short value previews,
 * "did you mean" suggestions, dotted field paths.
 */
import path from 'node:path';
import { StewardError } from '../core/index.js';
import type { ManifestResult } from './manifest.js';

/**
 * A manifest problem: which file, which field (dotted path such as `steward.dependencies.foo`; empty when
 * the whole file is at fault), and a message saying what is wrong and what to do next.
 * Code `STEWARD_MANIFEST_INVALID`.
 */
export class ManifestError extends StewardError {
  override readonly name = 'ManifestError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_MANIFEST_INVALID';
  /** Absolute path of the offending file (or folder). */
  readonly file: string;
  /** Dotted path of the offending field; `''` when the problem is the file itself. */
  readonly field: string;
  /** The message without the `file: field:` prefix. */
  readonly problem: string;

  constructor(file: string, field: string, problem: string, options?: ErrorOptions) {
    super(`${displayPath(file)}: ${field ? `${field}: ` : ''}${problem}`, options);
    this.file = file;
    this.field = field;
    this.problem = problem;
  }
}

/** The result of a manifest read that found exactly one problem. */
export function invalid(error: ManifestError): ManifestResult {
  return { kind: 'invalid', errors: [error] };
}

/** `file` relative to the working folder when it lies inside it, else absolute. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel) ? rel : file;
}

/** A value as JSON (or `String(value)`), cut to 80 characters, for "(got …)" in messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Turns an arbitrary name into a valid plugin id suggestion ("Foo Bar" -> "foo-bar"). */
export function suggestPluginId(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  return slug || 'my-plugin';
}

/** Error-message builder for zod: "is required; hint" or "problem (got X); hint". */
export function explain(problem: string, hint: string) {
  return (issue: { readonly input?: unknown }): string =>
    issue.input === undefined ? `is required; ${hint}` : `${problem} (got ${show(issue.input)}); ${hint}`;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word` (edit distance, case-insensitive), if any is close enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** A dotted field path: `prefix` then each segment (`a.b[0]["odd key"]`). */
export function fieldPath(prefix: string, segments: readonly PropertyKey[]): string {
  let out = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z0-9_$-]+$/.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/**
 * What a `JSON.parse` error of `text` says, with where: `at line L:C: <what>` (1-based). The
 * position comes from the error (Node reports an offset; the text's end when it ran out).
 */
export function jsonSyntaxProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  const what = message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/\s*in JSON at position \d+/, '')
    .replace(/^Unexpected end of JSON input$/, 'the text ends before the JSON value does');
  return `is not valid JSON at line ${line}:${column}: ${what}`;
}
