// The side panel of the Components tab: everything about the selected component, its memory
// over time, its resources by type, and its actions (clean up, pause or resume).
import { memoryChart } from './chart.js';
import { h, keepFocus, replace } from './dom.js';
import { bytes, count, duration } from './format.js';

function typeTable(byType) {
  const entries = Object.entries(byType).sort((a, b) => b[1].count - a[1].count);
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No resources tracked.');
  return h(
    'table',
    { class: 'grid compact', 'aria-label': 'Resources by type' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col', class: 'num' }, 'Count'),
        h('th', { scope: 'col', class: 'num' }, 'Size'),
      ),
    ),
    h(
      'tbody',
      {},
      entries.map(([type, t]) =>
        h(
          'tr',
          {},
          h('td', {}, type),
          h('td', { class: 'num' }, count(t.count)),
          h('td', { class: 'num' }, bytes(t.bytes)),
        ),
      ),
    ),
  );
}

/** A plugin that is down (failed or blocked): why, and the way back (reload). */
function renderPluginDown(panel, p, actions, offline) {
  keepFocus(panel, () =>
    replace(
      panel,
      h('h2', { class: 'details-title' }, p.name),
      h(
        'div',
        { class: 'buttons' },
        h(
          'button',
          {
            type: 'button',
            class: 'action',
            disabled: offline,
            dataset: { key: 'reload' },
            onclick: () => actions.reload(p.id),
          },
          'Reload…',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'action',
            dataset: { key: 'plugins' },
            onclick: () => actions.showPlugins(),
          },
          'Show in Plugins',
        ),
      ),
      h(
        'dl',
        { class: 'facts' },
        [
          ['Plugin', p.id],
          ['State', h('span', { class: `badge state-${p.state}` }, p.state)],
          ['Component', 'none: its resources were released when it went down'],
          p.blockedBy ? ['Blocked by', p.blockedBy] : null,
          p.error ? ['Error', h('span', { class: 'error-text' }, p.error)] : null,
          ['Version', p.version],
        ]
          .filter(Boolean)
          .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
    ),
  );
}

/**
 * Render component `c` (from the snapshot) into `panel`. `history` is its memory series (or
 * undefined while loading); `actions` has cleanup(id), pause(id), resume(id), showResources(id),
 * reload(id), showPlugins(). `owner` is the plugin whose component it is, if any; `offline`
 * disables the actions (the monitor cannot be reached).
 */
export function renderDetails(panel, c, elapsedMs, history, actions, { owner, offline = false } = {}) {
  if (!c) {
    replace(
      panel,
      h('p', { class: 'muted' }, 'Select a component to see its resources, memory over time and actions.'),
    );
    return;
  }
  if (c.plugin) {
    renderPluginDown(panel, c.plugin, actions, offline);
    return;
  }
  const facts = [
    ['Type', c.type],
    ['State', h('span', { class: `badge state-${c.state}` }, c.state)],
    ['Parent', c.parent ?? 'none (root)'],
    ['Children', c.children.length === 0 ? 'none' : c.children.join(', ')],
    ['Resources', count(c.resources)],
    ['Own memory', bytes(c.ownBytes)],
    ['With children', bytes(c.subtreeBytes)],
    [
      'Memory limit',
      c.memoryLimit
        ? `${bytes(c.memoryLimit.bytes)} (${c.memoryLimit.policy}), ${((c.subtreeBytes / c.memoryLimit.bytes) * 100).toFixed(0)}% used`
        : 'none',
    ],
    ['Age', duration(c.ageMs + elapsedMs)],
    ['Created', new Date(c.createdAt).toLocaleString('en-GB')],
  ];
  if (owner) facts.unshift(['Plugin', `${owner.name} (${owner.id}, ${owner.state})`]);
  if (c.error) facts.push(['Error', h('span', { class: 'error-text' }, c.error)]);
  if (c.metadata) facts.push(['Metadata', h('code', {}, JSON.stringify(c.metadata))]);
  const live = c.state !== 'cleaning' && c.state !== 'destroyed';
  const buttons = [
    h(
      'button',
      {
        type: 'button',
        class: 'action danger',
        disabled: !live || offline,
        dataset: { key: 'cleanup' },
        onclick: () => actions.cleanup(c.id),
      },
      'Clean up…',
    ),
    c.state === 'active'
      ? h(
          'button',
          {
            type: 'button',
            class: 'action',
            disabled: offline,
            dataset: { key: 'pause-resume' },
            onclick: () => actions.pause(c.id),
          },
          'Pause…',
        )
      : null,
    c.state === 'paused'
      ? h(
          'button',
          {
            type: 'button',
            class: 'action',
            disabled: offline,
            dataset: { key: 'pause-resume' },
            onclick: () => actions.resume(c.id),
          },
          'Resume…',
        )
      : null,
    h(
      'button',
      {
        type: 'button',
        class: 'action',
        dataset: { key: 'resources' },
        onclick: () => actions.showResources(c.id),
      },
      'Show resources',
    ),
  ];
  keepFocus(panel, () =>
    replace(
      panel,
      h('h2', { class: 'details-title' }, c.id),
      h('div', { class: 'buttons' }, buttons),
      h(
        'dl',
        { class: 'facts' },
        facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      h('h3', {}, 'Memory over time'),
      h(
        'div',
        { class: 'chart small' },
        history
          ? memoryChart(history.samples, c.id, panel.clientWidth - 34)
          : h('p', { class: 'muted' }, 'Loading…'),
      ),
      h('h3', {}, 'Resources by type'),
      typeTable(c.byType),
    ),
  );
}
