/**
 * `steward permissions <plugin>`: after `steward run --permissions=audit`, print the smallest
 * `permissions` block that would have allowed what the plugin did in that run, ready to paste
 * into its manifest.
 */
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js';

const HELP = `Usage: steward permissions <plugin dir or id> [options]

Print the smallest "permissions" block that allows everything the plugin did while
\`steward run --permissions=audit\` hosted it (run from the same folder), as JSON to paste
into the plugin's steward block. Paths in the plugin folder are written "./…", paths in
its storage "$STORAGE…"; reads in the plugin folder are left out (they are allowed anyway).
An absolute path is accepted only in a folder the host allows: the command names the
\`--permission-root\` flags \`steward run\` and \`steward validate\` then need (with --json, in
"permissionRoots").

Options:
  --dir <folder>   Where the audit records are (default .steward/audit)
  --json           Print the audit record too
  -h, --help       Show this help

Exit codes: 0 printed, 1 no record for that plugin, 2 wrong usage.`;

const OPTIONS = { dir: { type: 'string' }, json: { type: 'boolean' } } as const;

/** `steward permissions`. */
export const permissionsCommand: Command = {
  name: 'permissions',
  summary: 'Print the permissions block a plugin needed in an audit run',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('permissions', argv, OPTIONS);
    if (positionals.length !== 1) {
      throw new UsageError(
        'steward permissions: give one plugin folder or id, e.g. `steward permissions plugins/thumbs`.',
      );
    }
    const target = positionals[0]!;
    const [{ existsSync }, { isAbsolute, resolve }, { readManifest }, audit, { AUDIT_DIR }] =
      await Promise.all([
        import('node:fs'),
        import('node:path'),
        import('../plugins/manifest.js'),
        import('../plugins/permission-audit.js'),
        import('./run.js'),
      ]);
    const manifest = existsSync(target) ? await readManifest(target) : undefined;
    const id = manifest?.id ?? target;
    const dir = resolve(values.dir ?? AUDIT_DIR);
    const record = audit.readAuditRecord(dir, id);
    if (!record) {
      io.stderr(
        `steward permissions: no audit record for plugin "${id}" in ${dir}; run it first with ` +
          '`steward run <plugins> --permissions=audit` from this folder.\n',
      );
      return EXIT.failure;
    }
    // What a plugin process reads anyway is not listed (its own folder is: other tiers need it).
    const { implicitReads } = await import('../plugins/permissions.js');
    const implicit = manifest ? implicitReads(manifest).filter((p) => p !== manifest.dir) : [];
    const block = audit.smallestPermissions(record, implicit);
    // An absolute path is accepted only inside a folder the host allows: say so next to the block.
    const roots = [...new Set([...block.fs.read, ...block.fs.write].filter((p) => isAbsolute(p)))];
    io.stdout(
      values.json
        ? `${JSON.stringify({ permissions: block, permissionRoots: roots, record }, null, 2)}\n`
        : `"permissions": ${JSON.stringify(block, null, 2)}\n`,
    );
    if (roots.length > 0 && !values.json) {
      io.stderr(
        `note: ${roots.join(', ')} ${roots.length === 1 ? 'is an absolute path' : 'are absolute paths'} outside ` +
          "the plugin's folder and storage: the host accepts the block only if it allows " +
          `${roots.length === 1 ? 'that path' : 'them'} — \`steward run ${roots.map((r) => `--permission-root ${r}`).join(' ')}\` ` +
          '(and the same for `steward validate`), or the PluginHost option permissionRoots.\n',
      );
    }
    return EXIT.ok;
  },
};
