/**
 * `steward validate <plugin dir…>`: checks manifests and the dependency graph without running
 * any plugin code. Each argument is a plugin folder, a module plugin file, or a folder of plugins.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GraphError, ManifestError, PluginManifest } from '../plugins/index.js';
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js';
import { renderTable } from './format.js';

const HELP = `Usage: steward validate <plugin dir or file…> [options]

Check plugin manifests and their dependency graph, without running plugin code.
Each argument is a plugin folder (with package.json), a module plugin file
(export const metadata = {…}), or a folder containing plugins.

Options:
  --host <version>          Check every plugin's "host" range against this host version
  --permission-root <dir>   A folder manifests' permissions may name absolute paths in,
                            as \`steward run --permission-root\` allows; repeat for more
  --json                    Print the result as JSON
  -h, --help                Show this help

Permissions are checked as \`steward run\` checks them: absolute paths outside the plugin's
folder, its storage (.steward/storage/<id>) and the permission roots, and symbolic links
in those folders that lead outside what the plugin may read or write.

Exit codes: 0 every plugin is valid, 1 problems were found, 2 wrong usage (a path that
does not exist included).`;

const OPTIONS = {
  host: { type: 'string' },
  json: { type: 'boolean' },
  'permission-root': { type: 'string', multiple: true },
} as const;

interface Problem {
  file: string;
  field: string;
  plugins: string[];
  message: string;
}

async function collect(
  paths: ReadonlyMap<string, Stats>,
): Promise<{ plugins: PluginManifest[]; problems: Problem[] }> {
  const { discoverPlugins, loadPluginManifest } = await import('../plugins/index.js');
  const plugins: PluginManifest[] = [];
  const problems: Problem[] = [];
  const asManifestProblem = (e: ManifestError): Problem => ({
    file: e.file,
    field: e.field,
    plugins: [],
    message: e.message,
  });
  for (const [path, info] of paths) {
    const single = await loadPluginManifest(path);
    if (single.kind === 'plugin') plugins.push(single.manifest);
    else if (single.kind === 'invalid') problems.push(...single.errors.map(asManifestProblem));
    else if (info.isDirectory()) {
      const found = await discoverPlugins([path]);
      plugins.push(...found.plugins);
      problems.push(...found.errors.map(asManifestProblem));
      if (found.plugins.length === 0 && found.errors.length === 0) {
        problems.push({
          file: path,
          field: '',
          plugins: [],
          message: `${path}: no plugins found (${single.reason}).`,
        });
      }
    } else {
      problems.push({
        file: path,
        field: '',
        plugins: [],
        message: `${path}: not a plugin (${single.reason}).`,
      });
    }
  }
  return { plugins, problems };
}

/** `steward validate`. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check plugin manifests and dependencies without running plugin code',
  help: HELP,
  async run(argv, io) {
    const parsed = parseCommandArgs('validate', argv, OPTIONS);
    if (parsed.positionals.length === 0) {
      throw new UsageError(
        'steward validate: give at least one plugin folder or file, e.g. `steward validate plugins/`.',
      );
    }
    // A missing folder is a wrong invocation (exit 2, as `steward run` says), not an invalid plugin.
    const found = new Map<string, Stats>();
    const missing: string[] = [];
    for (const path of parsed.positionals.map((p) => resolve(p))) {
      const info = await stat(path).catch(() => undefined);
      if (info) found.set(path, info);
      else missing.push(path);
    }
    if (missing.length > 0) {
      throw new UsageError(
        `steward validate: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist; check the path.`,
      );
    }
    const collected = await collect(found);
    const { problems } = collected;
    const { resolvePluginGraph, withServiceEdges } = await import('../plugins/index.js');
    const [{ checkedPermissions }, { pluginStorageDir }, { ManifestError }] = await Promise.all([
      import('../plugins/permission-links.js'),
      import('../plugins/host-options.js'),
      import('../plugins/manifest-errors.js'),
    ]);
    // The permission checks `steward run` makes before hosting a plugin: one that fails is rejected.
    const roots = (parsed.values['permission-root'] ?? []).map((r) => resolve(r));
    const plugins = collected.plugins.filter((m) => {
      try {
        checkedPermissions(m, pluginStorageDir({}, m.id), roots);
        return true;
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        problems.push({ file: error.file, field: error.field, plugins: [m.id], message: error.message });
        return false;
      }
    });
    const ids = new Map<string, string>();
    const unique: PluginManifest[] = [];
    for (const m of plugins) {
      const first = ids.get(m.id);
      if (first !== undefined && first !== m.manifestPath) {
        problems.push({
          file: m.manifestPath,
          field: 'id',
          plugins: [m.id],
          message: `${m.manifestPath}: id "${m.id}" is already used by ${first}; give one of them another id.`,
        });
      } else if (first === undefined) {
        ids.set(m.id, m.manifestPath);
        unique.push(m);
      }
    }
    let graphErrors: readonly GraphError[] = [];
    let order: readonly string[] = [];
    try {
      const graph = resolvePluginGraph(
        withServiceEdges(unique),
        parsed.values.host ? { hostVersion: parsed.values.host } : {},
      );
      graphErrors = graph.errors;
      order = graph.order;
    } catch (error) {
      throw new UsageError(`steward validate: ${(error as Error).message}`);
    }
    for (const e of graphErrors) {
      problems.push({
        file: unique.find((m) => m.id === e.plugins[0])?.manifestPath ?? '',
        field: 'steward.dependencies',
        plugins: [...e.plugins],
        message: e.message,
      });
    }
    if (parsed.values.json) {
      io.stdout(
        `${JSON.stringify({ ok: problems.length === 0, order, plugins: unique.map((m) => ({ id: m.id, version: m.version, isolation: m.isolation, dependencies: m.dependencies, manifest: m.manifestPath })), problems }, null, 2)}\n`,
      );
    } else {
      if (unique.length > 0) {
        const activatable = new Set(order);
        io.stdout(
          `${renderTable(unique, [
            { title: 'plugin', value: (m) => m.id },
            { title: 'version', value: (m) => m.version },
            { title: 'isolation', value: (m) => m.isolation },
            { title: 'dependencies', value: (m) => Object.keys(m.dependencies).join(', ') || '-' },
            { title: 'status', value: (m) => (activatable.has(m.id) ? 'ok' : 'excluded') },
          ])}\n`,
        );
      }
      if (problems.length > 0) {
        io.stdout(`\n${problems.length} problem(s):\n`);
        for (const p of problems) io.stdout(`  ✗ ${p.message}\n`);
      } else {
        io.stdout(`\n${unique.length} plugin(s) valid; activation order: ${order.join(' → ') || '(none)'}\n`);
      }
    }
    return problems.length === 0 ? EXIT.ok : EXIT.failure;
  },
};
