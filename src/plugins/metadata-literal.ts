/**
 * Turning the acorn syntax tree of a `metadata` object literal into a plain value — literals only
 * (strings, numbers, booleans, null, arrays, plain objects), so discovery never runs plugin code —
 * and the positions and syntax errors its messages point at.
 */
import { type Expression, getLineInfo, type Node } from 'acorn';
import { fieldPath, ManifestError } from './manifest-errors.js';

/** Result of `extractModuleMetadata`: the literal value and where it starts, or `undefined`. */
export interface ExtractedMetadata {
  /** The metadata object built from literals only. */
  readonly value: Record<string, unknown>;
  /** Offset of the object literal in the source. */
  readonly offset: number;
}

/** How module sources are parsed: the latest ECMAScript, as ES modules, a leading `#!` allowed. */
export const ACORN_OPTIONS = { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true } as const;

/** `line L:C` (1-based) of `offset` in `source`. */
export function location(source: string, offset: number): string {
  const { line, column } = getLineInfo(source, offset);
  return `line ${line}:${column + 1}`;
}

/** Converts an acorn expression made only of literals into a plain value, or throws a ManifestError. */
export function literalValue(
  node: Node,
  source: string,
  base: number,
  file: string,
  at: readonly PropertyKey[],
): unknown {
  const fail = (what: string): never => {
    throw new ManifestError(
      file,
      fieldPath('metadata', at),
      `${what} at ${location(source, base + node.start)}; metadata must be a literal (strings, numbers, ` +
        'booleans, null, arrays and objects with plain keys) because discovery reads it without running the ' +
        'module: write the value out literally',
    );
  };
  const expr = node as Expression;
  switch (expr.type) {
    case 'Literal':
      if (expr.regex) return fail('found a regular expression');
      if (expr.bigint !== undefined) return fail('found a BigInt');
      return expr.value;
    case 'TemplateLiteral':
      if (expr.expressions.length > 0) return fail('found a template literal with substitutions');
      return expr.quasis[0]?.value.cooked ?? '';
    case 'UnaryExpression':
      if (
        expr.operator === '-' &&
        expr.argument.type === 'Literal' &&
        typeof expr.argument.value === 'number'
      ) {
        return -expr.argument.value;
      }
      return fail(`found an expression using "${expr.operator}"`);
    case 'ArrayExpression':
      return expr.elements.map((element, index) => {
        if (element === null) return fail('found an array hole');
        if (element.type === 'SpreadElement') return fail('found a spread (...)');
        return literalValue(element, source, base, file, [...at, index]);
      });
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const property of expr.properties) {
        if (property.type === 'SpreadElement') return fail('found a spread (...)');
        let key: string | undefined;
        if (!property.computed && property.key.type === 'Identifier') key = property.key.name;
        else if (
          !property.computed &&
          property.key.type === 'Literal' &&
          typeof property.key.value !== 'object'
        ) {
          key = String(property.key.value);
        }
        if (key === undefined) return fail('found a computed key');
        if (property.kind !== 'init' || property.method) return fail(`found a method or accessor "${key}"`);
        if (property.shorthand) return fail(`found a shorthand property "${key}" referring to a variable`);
        if (key === '__proto__') return fail('found a "__proto__" key');
        if (Object.hasOwn(out, key)) return fail(`found the key "${key}" twice`);
        out[key] = literalValue(property.value, source, base, file, [...at, key]);
      }
      return out;
    }
    case 'Identifier':
      return fail(`found the variable "${expr.name}"`);
    default:
      return fail(`found a ${expr.type}`);
  }
}

/** A parse error of `source` (at `base` + its position) as a ManifestError, with `extra` advice. */
export function syntaxError(
  file: string,
  source: string,
  error: unknown,
  base: number,
  extra: string,
): ManifestError {
  const pos = (error as { pos?: number }).pos;
  const message = ((error as Error).message ?? String(error)).replace(/\s*\(\d+:\d+\)$/, '');
  const where = typeof pos === 'number' ? ` at ${location(source, base + pos)}` : '';
  return new ManifestError(file, '', `cannot be parsed: ${message}${where}; ${extra}`, { cause: error });
}

/** `value` if it is a plain object, else a ManifestError pointing at `offset`. */
export function asObject(
  value: unknown,
  file: string,
  source: string,
  offset: number,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(
      file,
      'metadata',
      `must be an object literal at ${location(source, offset)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
    );
  }
  return value as Record<string, unknown>;
}
