/**
 * `steward inspect <monitor url>`: a running monitor's snapshot as tables in the terminal
 * (components as a tree, resources by type, plugins), or one component's resources; `--json`
 * prints the API's JSON instead.
 */
import type { ResourcesResponse, SnapshotResponse } from '../monitor/index.js';
import {
  type Command,
  type CommandIO,
  EXIT,
  onePositional,
  parseCommandArgs,
  UsageError,
} from './command.js';
import { formatBytes, formatDuration, renderTable } from './format.js';
import { getJson, monitorTarget } from './monitor-client.js';

const HELP = `Usage: steward inspect <monitor url> [options]

Show what a running Steward monitor sees: every component with its type, state,
resource count, memory (own and with children) and age, the resources by type,
and the plugins. The URL is the one the monitor printed when it started
(http://127.0.0.1:<port>/?token=<token>).

Options:
  --component <id>   Show the resources of one component instead (type, size, age, metadata)
  --token <token>    Token, if the URL has none (or set STEWARD_MONITOR_TOKEN)
  --json             Print the JSON of the API instead of tables
  --timeout <ms>     Give up after this many milliseconds (default 10000)
  -h, --help         Show this help

Exit codes: 0 success, 1 the monitor could not be reached or refused, 2 wrong usage.`;

const OPTIONS = {
  component: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

type Component = SnapshotResponse['components'][number];

/** Components in tree order (parents first, children indented under them). */
function treeOrder(components: readonly Component[]): Array<{ c: Component; depth: number }> {
  const byId = new Map(components.map((c) => [c.id, c]));
  const out: Array<{ c: Component; depth: number }> = [];
  const walk = (c: Component, depth: number): void => {
    out.push({ c, depth });
    for (const id of c.children) {
      const child = byId.get(id);
      if (child) walk(child, depth + 1);
    }
  };
  for (const c of components) if (c.parent === undefined || !byId.has(c.parent)) walk(c, 0);
  return out;
}

function snapshotText(origin: string, snap: SnapshotResponse): string {
  const s = snap.stats;
  let text =
    `Steward monitor ${origin}: ${s.components} components, ${s.activeResources} resources, ` +
    `${formatBytes(s.totalBytes)} tracked` +
    (s.memoryLimit ? ` (limit ${formatBytes(s.memoryLimit.bytes)}, ${s.memoryLimit.policy})` : '') +
    '\n' +
    `Since start: ${s.resourcesTracked} tracked, ${s.resourcesReleased} released, ${s.disposerFailures} cleanup failures, ` +
    `${s.disposerTimeouts} timeouts, ${s.leaksDetected} leaks\n\n`;
  if (snap.components.length === 0) text += 'No components are registered.\n';
  else {
    text += renderTable(treeOrder(snap.components), [
      { title: 'COMPONENT', value: ({ c, depth }) => `${'  '.repeat(depth)}${c.id}` },
      { title: 'TYPE', value: ({ c }) => c.type },
      { title: 'STATE', value: ({ c }) => c.state + (c.error ? ` (${c.error})` : '') },
      { title: 'RESOURCES', value: ({ c }) => String(c.resources), right: true },
      { title: 'OWN', value: ({ c }) => formatBytes(c.ownBytes), right: true },
      { title: 'WITH CHILDREN', value: ({ c }) => formatBytes(c.subtreeBytes), right: true },
      { title: 'AGE', value: ({ c }) => formatDuration(c.ageMs), right: true },
    ]);
  }
  const types = Object.entries(s.byType).sort((a, b) => b[1].bytes - a[1].bytes || b[1].count - a[1].count);
  if (types.length > 0) {
    text += `\n${renderTable(types, [
      { title: 'RESOURCE TYPE', value: ([type]) => type },
      { title: 'COUNT', value: ([, t]) => String(t.count), right: true },
      { title: 'TOTAL SIZE', value: ([, t]) => formatBytes(t.bytes), right: true },
    ])}`;
  }
  if (snap.plugins && snap.plugins.length > 0) {
    text += `\n${renderTable(snap.plugins, [
      { title: 'PLUGIN', value: (p) => p.id },
      { title: 'VERSION', value: (p) => p.version },
      { title: 'STATE', value: (p) => p.state + (p.error ? ` (${p.error})` : '') },
      { title: 'ISOLATION', value: (p) => p.isolation },
      { title: 'DEPENDS ON', value: (p) => (p.dependencies.length ? p.dependencies.join(', ') : 'none') },
      {
        title: 'ACTIVATE',
        value: (p) => (p.activateMs === undefined ? 'not measured' : formatDuration(p.activateMs)),
        right: true,
      },
    ])}`;
  }
  return text;
}

function resourcesText(data: ResourcesResponse): string {
  const c = data.component;
  let text =
    `Component ${c.id} (${c.type}, ${c.state}): ${data.total} resources, ${formatBytes(c.ownBytes)} own, ` +
    `${formatBytes(c.subtreeBytes)} with children\n\n`;
  if (data.resources.length === 0) return `${text}No resources.\n`;
  text += renderTable(data.resources, [
    { title: 'ID', value: (r) => String(r.id), right: true },
    { title: 'TYPE', value: (r) => r.type + (r.weak ? ' (weak)' : '') + (r.evictable ? ' (evictable)' : '') },
    { title: 'SIZE', value: (r) => formatBytes(r.size), right: true },
    { title: 'AGE', value: (r) => formatDuration(r.ageMs), right: true },
    { title: 'METADATA', value: (r) => (r.metadata ? JSON.stringify(r.metadata) : '') },
  ]);
  if (data.total > data.resources.length) text += `(first ${data.resources.length} of ${data.total} shown)\n`;
  return text;
}

/** The `inspect` command. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: "Show a running monitor's components, resources and plugins as tables",
  help: HELP,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const args = parseCommandArgs('inspect', argv, OPTIONS);
    const url = onePositional('inspect', args.positionals, '<monitor url>');
    const timeoutMs = args.values.timeout === undefined ? 10_000 : Number(args.values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new UsageError(
        `steward inspect: --timeout must be a positive integer of milliseconds (got "${args.values.timeout}").`,
      );
    }
    const target = monitorTarget(url, args.values.token, io.env.STEWARD_MONITOR_TOKEN);
    const id = args.values.component;
    if (id !== undefined) {
      const data = await getJson<ResourcesResponse>(
        target,
        `/api/components/${encodeURIComponent(id)}/resources?limit=10000`,
        timeoutMs,
      );
      io.stdout(args.values.json ? `${JSON.stringify(data, null, 2)}\n` : resourcesText(data));
      return EXIT.ok;
    }
    const snap = await getJson<SnapshotResponse>(target, '/api/snapshot', timeoutMs);
    io.stdout(args.values.json ? `${JSON.stringify(snap, null, 2)}\n` : snapshotText(target.origin, snap));
    return EXIT.ok;
  },
};
