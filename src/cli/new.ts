/**
 * `steward new plugin <id>`: writes a plugin folder that works as written — a manifest
 * (package.json with its `steward` block) and an entry module whose resources all come from
 * `ctx` — validated before it is put in place: the folder appears whole or not at all.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js';

const HELP = `Usage: steward new plugin <id> [options]

Write a new plugin folder <dir>/<id> with its manifest (package.json, "steward": { "id" })
and an entry module (index.js) that takes a timer and a buffer through ctx, so everything
is released when the plugin is deactivated, unloaded or reloaded. The folder is checked
like \`steward validate\` does before it is written; an existing folder is never touched.

Options:
  --dir <folder>  Where to create the plugin folder (default: the current folder)
  -h, --help      Show this help

Then: steward validate <dir>/<id>, and steward run <dir> to host it.

Exit codes: 0 written, 1 failure, 2 wrong usage (a bad id, an existing folder, a --dir
that does not exist).`;

const OPTIONS = { dir: { type: 'string' } } as const;

/** The files of a new plugin, by name. */
export function pluginFiles(id: string): Record<string, string> {
  const manifest = {
    name: id,
    version: '0.1.0',
    private: true,
    description: `The ${id} plugin.`,
    type: 'module',
    exports: './index.js',
    steward: { id, displayName: id },
  };
  const index = `// The ${id} plugin (written by \`steward new plugin ${id}\`).
//
// Everything taken from \`ctx\` — timers, listeners, servers, child processes, workers, files,
// tracked values — is released when the plugin is deactivated, unloaded or reloaded: there is
// nothing to clean up by hand. Host it with \`steward run <the folder holding this one>\`; in a
// terminal, r reloads it and u unloads it.

/** @type {import('steward/plugins').PluginDefinition} */
export default {
  activate(ctx) {
    let ticks = 0;
    ctx.setInterval(() => ticks++, 1000);
    const buffer = new Uint8Array(64 * 1024);
    ctx.track(buffer, { type: 'buffer', size: buffer.byteLength }); // counted in the plugin's memory
    ctx.onCleanup(() => ctx.log.info(\`released after \${ticks} tick(s)\`));
    ctx.log.info('active');
  },
  deactivate(ctx) {
    ctx.log.info('deactivating');
  },
};
`;
  return { 'package.json': `${JSON.stringify(manifest, null, 2)}\n`, 'index.js': index };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `steward new`. */
export const newCommand: Command = {
  name: 'new',
  summary: 'Write a new plugin folder (manifest and entry module) that runs as written',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('new', argv, OPTIONS);
    const [kind, id, ...extra] = positionals;
    if (kind !== 'plugin') {
      throw new UsageError(
        `steward new: ${kind === undefined ? 'say what to create' : `cannot create "${kind}"`}; ` +
          'use `steward new plugin <id>`, e.g. `steward new plugin hello`.',
      );
    }
    if (id === undefined || extra.length > 0) {
      throw new UsageError(
        `steward new plugin: give one plugin id${extra.length > 0 ? ` (got ${[id, ...extra].join(' ')})` : ''}, ` +
          'e.g. `steward new plugin hello`.',
      );
    }
    const parent = resolve(values.dir ?? '.');
    const target = join(parent, id);
    const shown = relative(process.cwd(), target) || '.';
    if (!(await exists(parent))) {
      throw new UsageError(`steward new plugin: the folder ${values.dir} does not exist; create it first.`);
    }
    if (await exists(target)) {
      // A wrong invocation (exit 2), like a --dir that does not exist: nothing was attempted.
      throw new UsageError(
        `steward new plugin: ${shown} already exists; nothing was written. Choose another id.`,
      );
    }
    // Written and validated beside the target, then renamed into place in one step.
    // (mkdir, not mkdtemp: the folder gets the usual permissions, not mkdtemp's 0700.)
    const staging = join(parent, `.${basename(id)}.steward-new-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      for (const [name, text] of Object.entries(pluginFiles(id))) await writeFile(join(staging, name), text);
      const { loadPluginManifest } = await import('../plugins/index.js');
      const result = await loadPluginManifest(staging);
      if (result.kind !== 'plugin') {
        const why =
          result.kind === 'invalid' ? result.errors.map((e) => e.message).join('\n') : result.reason;
        throw new UsageError(
          `steward new plugin: "${id}" cannot be a plugin id:\n${why.replaceAll(basename(staging), id)}`,
        );
      }
      await rename(staging, target);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    for (const name of Object.keys(pluginFiles(id))) io.stdout(`created ${join(shown, name)}\n`);
    const dir = relative(process.cwd(), dirname(target)) || '.';
    io.stdout(`\nnext:\n  steward validate ${shown}\n  steward run ${dir}\n`);
    return EXIT.ok;
  },
};
