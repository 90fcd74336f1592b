/**
 * Importing plugin code. Node's ES module cache cannot be cleared, so a reload imports a fresh
 * copy: the entry URL gets a `steward-gen` query, and a resolve hook (registered once per
 * process with `module.register`) gives the same query to every module the plugin imports
 * from its own folder, so the whole plugin is re-evaluated — not only its entry. Modules outside
 * the plugin's folder (node_modules, the host, Steward) are shared, never duplicated.
 *
 * Cost, documented: every reload of an inline plugin keeps the previous copy of its modules in
 * memory for the life of the process. Use worker isolation to reclaim it.
 */
import { register } from 'node:module';
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { explainLoadError } from './load-error.js';
import { nativeImport } from './native-import.js';

/** A resolve hook, as source: propagates `steward-gen`/`steward-root` to modules under the root. */
const HOOKS = `
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const parent = context.parentURL;
  if (!parent || !parent.includes('steward-gen=') || !result.url.startsWith('file:')) return result;
  const from = new URL(parent);
  const gen = from.searchParams.get('steward-gen');
  const root = from.searchParams.get('steward-root');
  if (!gen || !root) return result;
  const url = new URL(result.url);
  // Below the plugin's root only, and not its own node_modules (the root itself may be in one).
  if (!url.href.startsWith(root) || url.href.slice(root.length).includes('node_modules/')) return result;
  url.searchParams.set('steward-gen', gen);
  url.searchParams.set('steward-root', root);
  return { ...result, url: url.href };
}
`;

let hooksRegistered = false;

function ensureHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
}

/**
 * Import a plugin's entry. Generation 0 is a plain import; generation n > 0 is a fresh copy of
 * every module under `root` (the plugin's folder, or its file for single-module plugins).
 * A syntax error in one of the plugin's modules rejects as a `PluginSyntaxError` naming its
 * file:line:column.
 */
export async function importPlugin(
  entry: string,
  root: string,
  isFolder: boolean,
  generation: number,
): Promise<Record<string, unknown>> {
  const url = pathToFileURL(entry);
  if (generation > 0) {
    ensureHooks();
    const rootUrl = pathToFileURL(isFolder ? root + sep : root).href;
    url.searchParams.set('steward-gen', String(generation));
    url.searchParams.set('steward-root', rootUrl);
  }
  try {
    return await nativeImport(url.href);
  } catch (error) {
    throw await explainLoadError(error, entry, isFolder ? root : entry);
  }
}
