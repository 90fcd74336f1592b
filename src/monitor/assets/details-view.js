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

/**
 * Render component `c` (from the snapshot) into `panel`. `history` is its memory series (or
 * undefined while loading); `actions` has cleanup(id), pause(id), resume(id), showResources(id).
 */
export function renderDetails(panel, c, elapsedMs, history, actions) {
  if (!c) {
    replace(
      panel,
      h('p', { class: 'muted' }, 'Select a component to see its resources, memory over time and actions.'),
    );
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
    ['Memory limit', c.memoryLimit ? `${bytes(c.memoryLimit.bytes)} (${c.memoryLimit.policy})` : 'none'],
    ['Age', duration(c.ageMs + elapsedMs)],
    ['Created', new Date(c.createdAt).toLocaleString('en-GB')],
  ];
  if (c.error) facts.push(['Error', h('span', { class: 'error-text' }, c.error)]);
  if (c.metadata) facts.push(['Metadata', h('code', {}, JSON.stringify(c.metadata))]);
  const live = c.state !== 'cleaning' && c.state !== 'destroyed';
  const buttons = [
    h(
      'button',
      {
        type: 'button',
        class: 'action danger',
        disabled: !live,
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
