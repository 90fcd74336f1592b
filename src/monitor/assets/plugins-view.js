// The Plugins tab: every plugin with state, resources and memory (as `steward run`'s table),
// worker heap, the process (pid, RSS, CPU) or worker thread it runs in, restarts, isolation,
// dependencies, timings, and reload / unload / profile (profile-view.js). Health columns (CPU, event-loop utilisation,
// responsiveness, longest block) appear as soon as a health reporter fills `plugin.health`
// (docs/monitor.md, "Data contract"). On narrow screens each row is laid out as a card
// (dashboard.css), so nothing is cut off.
import { h, keepFocus, replace } from './dom.js';
import { bytes, count, duration, percent } from './format.js';

/** States where a plugin holds nothing to unload. */
const NOTHING_TO_UNLOAD = new Set(['unloaded', 'discovered']);

const HEALTH_COLUMNS = [
  ['CPU', (hl) => (hl.cpu === undefined ? 'not measured' : percent(hl.cpu))],
  ['Event loop', (hl) => (hl.elu === undefined ? 'not measured' : percent(hl.elu))],
  ['Responsive', (hl) => (hl.responsive === undefined ? 'not measured' : hl.responsive ? 'yes' : 'NO')],
  ['Longest block', (hl) => (hl.longestBlockMs === undefined ? 'not measured' : duration(hl.longestBlockMs))],
];

function memory(p) {
  const tracked = bytes(p.bytes ?? 0);
  return p.memoryLimit ? `${tracked} of ${bytes(p.memoryLimit)}` : tracked;
}

function heap(p) {
  if (p.heapUsed !== undefined)
    return p.heapLimit ? `${bytes(p.heapUsed)} of ${bytes(p.heapLimit)}` : bytes(p.heapUsed);
  if (p.health?.heapUsed !== undefined) return bytes(p.health.heapUsed);
  if (p.retainedBytes !== undefined) return `${bytes(p.retainedBytes)} retained (measured)`;
  return p.isolation === 'inline' ? 'shared (inline)' : 'not measured';
}

/**
 * Where the plugin runs: a process plugin's pid, resident memory and CPU time (Linux figures are
 * read from /proc by the host; elsewhere as the plugin last reported them), a worker's thread id;
 * an inline plugin's share of the host thread's busy samples in the last profile, once profiled.
 */
function where(p) {
  if (p.pid !== undefined) {
    const parts = [`pid ${p.pid}`];
    if (p.rss !== undefined) parts.push(`${bytes(p.rss)} RSS`);
    if (p.cpuMs !== undefined) parts.push(`${duration(p.cpuMs)} CPU`);
    return parts.join(' · ');
  }
  if (p.threadId !== undefined) return `thread ${p.threadId}`;
  if (p.isolation === 'inline')
    return p.cpuShare === undefined
      ? "host's"
      : `host's · ${percent(p.cpuShare)} of its busy samples (profiled)`;
  return 'not running';
}

/** The column titles, for the table head (health columns only when some plugin reports health). */
export function pluginColumns(plugins) {
  const health = plugins.some((p) => p.health !== undefined);
  return [
    'Plugin',
    'State',
    'Resources',
    'Memory',
    'Heap',
    'Process',
    'Restarts',
    ...(health ? HEALTH_COLUMNS.map(([title]) => title) : []),
    'Isolation',
    'Version',
    'Depends on',
    'Load',
    'Activate',
    'Component',
    'Actions',
  ];
}

/**
 * Render `plugins` (from the snapshot) into `table`. `actions` has reload(id), unload(id),
 * showComponent(id), and profile(id) with profiling() (the id being profiled); `offline`
 * disables the actions.
 */
export function renderPlugins(table, plugins, actions, offline = false) {
  const columns = pluginColumns(plugins);
  const health = columns.includes('CPU');
  replace(
    table.tHead.rows[0],
    columns.map((title, i) => h('th', { scope: 'col', class: i >= 2 && i <= 6 ? 'num' : undefined }, title)),
  );
  const tbody = table.tBodies[0];
  if (plugins.length === 0) {
    replace(
      tbody,
      h(
        'tr',
        {},
        h('td', { colspan: String(columns.length), class: 'empty' }, 'No plugins are known to the host.'),
      ),
    );
    return;
  }
  const cell = (label, attrs, ...content) => h('td', { ...attrs, 'data-label': label }, ...content);
  keepFocus(tbody, () =>
    replace(
      tbody,
      plugins.map((p) =>
        h(
          'tr',
          {
            class: p.state === 'failed' || p.state === 'blocked' ? 'down' : undefined,
            dataset: { plugin: p.id },
          },
          cell(
            'Plugin',
            { class: 'plugin-cell' },
            h('strong', {}, p.name),
            p.name !== p.id ? h('div', { class: 'muted' }, p.id) : null,
            p.error ? h('div', { class: 'error-text' }, p.error) : null,
            p.blockedBy ? h('div', { class: 'warn-text' }, `needs ${p.blockedBy}`) : null,
          ),
          cell('State', {}, h('span', { class: `badge state-${p.state}` }, p.state)),
          cell('Resources', { class: 'num' }, count(p.resources ?? 0)),
          cell('Memory', { class: 'num' }, memory(p)),
          cell('Heap', { class: 'num' }, heap(p)),
          cell('Process', { class: 'num' }, where(p)),
          cell('Restarts', { class: 'num' }, count(p.restarts ?? 0)),
          health
            ? HEALTH_COLUMNS.map(([title, value]) => cell(title, { class: 'num' }, value(p.health ?? {})))
            : null,
          cell('Isolation', {}, p.isolation),
          cell('Version', {}, p.version),
          cell('Depends on', {}, p.dependencies.length ? p.dependencies.join(', ') : 'none'),
          cell('Load', { class: 'num' }, p.loadMs === undefined ? 'not measured' : duration(p.loadMs)),
          cell(
            'Activate',
            { class: 'num' },
            p.activateMs === undefined ? 'not measured' : duration(p.activateMs),
          ),
          cell(
            'Component',
            {},
            p.component
              ? h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => actions.showComponent(p.component) },
                  p.component,
                )
              : 'none',
          ),
          cell(
            'Actions',
            {},
            h(
              'div',
              { class: 'buttons' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'action',
                  disabled: offline,
                  dataset: { key: `${p.id}:reload` },
                  onclick: () => actions.reload(p.id),
                },
                NOTHING_TO_UNLOAD.has(p.state) ? 'Load…' : 'Reload…',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'action danger',
                  disabled: offline || NOTHING_TO_UNLOAD.has(p.state),
                  title: NOTHING_TO_UNLOAD.has(p.state)
                    ? `Nothing to unload: the plugin is ${p.state}.`
                    : undefined,
                  dataset: { key: `${p.id}:unload` },
                  onclick: () => actions.unload(p.id),
                },
                'Unload…',
              ),
              actions.profile
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'action',
                      disabled: offline || actions.profiling() !== undefined,
                      title: 'CPU-profile the host for a few seconds and blame the samples on this plugin',
                      dataset: { key: `${p.id}:profile` },
                      onclick: () => actions.profile(p.id),
                    },
                    actions.profiling() === p.id ? 'Profiling…' : 'Profile…',
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}
