/**
 * Single-module plugins: a `.js`/`.mjs`/`.ts`/`.mts` file exporting `export const metadata = { ... }`.
 * The metadata is read from the source text — parsed, never executed.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'acorn';
import type { ManifestResult } from './manifest.js';
import { invalid, ManifestError, show, suggestPluginId } from './manifest-errors.js';
import { buildManifest, issuesToErrors, moduleMetadataSchema, PLUGIN_ID_PATTERN } from './manifest-schema.js';
import {
  ACORN_OPTIONS,
  asObject,
  type ExtractedMetadata,
  literalValue,
  location,
  syntaxError,
} from './metadata-literal.js';
import { extractFromTypeScript } from './metadata-typescript.js';

function extractFromJavaScript(source: string, file: string): ExtractedMetadata | undefined {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(source, ACORN_OPTIONS);
  } catch (error) {
    throw syntaxError(file, source, error, 0, 'fix the syntax error (plugin files must be ES modules)');
  }
  for (const statement of program.body) {
    if (statement.type !== 'ExportNamedDeclaration') continue;
    const exportsMetadata = statement.specifiers.some(
      (s) => (s.exported.type === 'Identifier' ? s.exported.name : s.exported.value) === 'metadata',
    );
    if (exportsMetadata) {
      throw new ManifestError(
        file,
        'metadata',
        `is exported through an export list at ${location(source, statement.start)}; ` +
          'declare it in place as export const metadata = { ... } so it can be read without running the module',
      );
    }
    const declaration = statement.declaration;
    if (!declaration) continue;
    if (declaration.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        if (declarator.id.type !== 'Identifier' || declarator.id.name !== 'metadata') continue;
        if (declaration.kind !== 'const') {
          throw new ManifestError(
            file,
            'metadata',
            `is declared with "${declaration.kind}" at ${location(source, declaration.start)}; declare it as export const metadata = { ... }`,
          );
        }
        if (!declarator.init) {
          throw new ManifestError(file, 'metadata', 'has no value; write export const metadata = { ... }');
        }
        const value = literalValue(declarator.init, source, 0, file, []);
        return { value: asObject(value, file, source, declarator.init.start), offset: declarator.init.start };
      }
    } else if ('id' in declaration && declaration.id?.name === 'metadata') {
      throw new ManifestError(
        file,
        'metadata',
        `is a ${declaration.type} at ${location(source, declaration.start)}; metadata must be a literal: write export const metadata = { ... }`,
      );
    }
  }
  return undefined;
}

/**
 * Finds `export const metadata = { ... }` in a module's source text without executing it and returns the
 * literal value, or `undefined` when the module has no such export. `.js`/`.mjs` sources are fully
 * parsed with acorn; TypeScript sources are scanned for the declaration (type annotations and
 * `as const`/`satisfies` after the literal are tolerated) and only the object literal is parsed.
 * Throws a {@link ManifestError} for syntax errors and for anything that is not a literal.
 */
export function extractModuleMetadata(
  source: string,
  file: string,
  language: 'javascript' | 'typescript' = /\.m?ts$/.test(file) ? 'typescript' : 'javascript',
): ExtractedMetadata | undefined {
  if (!/\bmetadata\b/.test(source)) return undefined;
  return language === 'typescript'
    ? extractFromTypeScript(source, file)
    : extractFromJavaScript(source, file);
}

/**
 * Reads a single-module plugin (`.js`, `.mjs`, `.ts`, `.mts`) and validates its `metadata` export.
 * Returns `not-a-plugin` when the file has no `export const metadata`. The module is parsed, never
 * executed. `id` defaults to the file name (without extension) when it is a valid id; `version` is
 * required. `entry` is the file's real path and `dir` the real path of its folder.
 */
export async function loadModuleManifest(file: string): Promise<ManifestResult> {
  const absFile = path.resolve(file);
  let source: string;
  try {
    source = await readFile(absFile, 'utf8');
  } catch (error) {
    return invalid(new ManifestError(absFile, '', `cannot be read: ${(error as Error).message}`));
  }
  let extracted: ExtractedMetadata | undefined;
  try {
    extracted = extractModuleMetadata(source, absFile);
  } catch (error) {
    if (error instanceof ManifestError) return invalid(error);
    throw error;
  }
  if (!extracted) return { kind: 'not-a-plugin', reason: 'no "export const metadata" in the module' };

  const parsed = moduleMetadataSchema.safeParse(extracted.value);
  const errors = parsed.success ? [] : issuesToErrors(absFile, 'metadata', parsed.error.issues);
  const stem = path.basename(absFile).replace(/\.[^.]+$/, '');
  const rawId = extracted.value.id;
  if (rawId === undefined && !PLUGIN_ID_PATTERN.test(stem)) {
    errors.push(
      new ManifestError(
        absFile,
        'metadata.id',
        `is missing and the file name ${show(stem)} is not a valid id; add id: ${show(suggestPluginId(stem))}`,
      ),
    );
  }
  if (!parsed.success || errors.length > 0) return { kind: 'invalid', errors };

  let entry: string;
  try {
    entry = await realpath(absFile);
  } catch (error) {
    return invalid(new ManifestError(absFile, '', `cannot be resolved: ${(error as Error).message}`));
  }
  const { id, name, version, ...common } = parsed.data;
  const pluginId = id ?? stem;
  return {
    kind: 'plugin',
    manifest: buildManifest(common, {
      id: pluginId,
      name: name ?? pluginId,
      version,
      entry,
      dir: path.dirname(entry),
      source: 'module',
      manifestPath: absFile,
    }),
  };
}
