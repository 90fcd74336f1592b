// The Statistics tab: counters and totals as cards, and the event log (newest first).
import { h, replace } from './dom.js';
import { bytes, clock, count, describeEvent, plural, severity } from './format.js';

/** Render the statistic cards. */
export function renderCards(container, stats) {
  const cards = [
    [
      'Components',
      count(stats.components),
      `${count(stats.componentsRegistered)} registered, ${count(stats.componentsDestroyed)} destroyed`,
    ],
    ['Live resources', count(stats.activeResources), plural(Object.keys(stats.byType).length, 'type')],
    [
      'Memory tracked',
      bytes(stats.totalBytes),
      stats.memoryLimit
        ? `limit ${bytes(stats.memoryLimit.bytes)} (${stats.memoryLimit.policy})`
        : 'no global limit',
    ],
    [
      'Disposing',
      count(stats.disposing?.count ?? 0),
      `${bytes(stats.disposing?.bytes ?? 0)} held by disposers still running`,
    ],
    ['Tracked', count(stats.resourcesTracked), 'resources since start'],
    ['Released', count(stats.resourcesReleased), 'resources since start'],
    ['Cleanup failures', count(stats.disposerFailures), `${count(stats.disposerTimeouts)} timed out`],
    ['Leaks detected', count(stats.leaksDetected), 'all kinds'],
    ['Evictions', count(stats.evictions), `${count(stats.rejections)} requests rejected by limits`],
  ];
  replace(
    container,
    cards.map(([label, value, note]) =>
      h(
        'div',
        {
          class: `card${(label === 'Cleanup failures' || label === 'Leaks detected' || label === 'Disposing') && value !== '0' ? ' warn' : ''}`,
        },
        h('div', { class: 'card-label' }, label),
        h('div', { class: 'card-value' }, value),
        h('div', { class: 'card-note' }, note),
      ),
    ),
  );
}

/**
 * Render the event log, newest first, filtered by type and text. Each entry: time, type and
 * component on a first line (a long component id wraps there), the message below at full
 * width; its severity (`info`, `warn`, `error`) sets its colour.
 */
export function renderLog(list, events, type, text) {
  const needle = text.trim().toLowerCase();
  const shown = [];
  for (let i = events.length - 1; i >= 0 && shown.length < 300; i--) {
    const e = events[i];
    if (type && e.type !== type) continue;
    const line = describeEvent(e);
    if (needle && !`${e.component ?? ''} ${line}`.toLowerCase().includes(needle)) continue;
    const level = severity(e);
    shown.push(
      h(
        'li',
        { class: `sev-${level}`, dataset: { severity: level } },
        h(
          'div',
          { class: 'log-meta' },
          h('time', { datetime: new Date(e.at).toISOString() }, clock(e.at)),
          h('span', { class: `etype t-${e.type}` }, e.type),
          e.component ? h('span', { class: 'ecomp' }, e.component) : null,
        ),
        h('div', { class: 'etext' }, line),
      ),
    );
  }
  replace(
    list,
    shown.length
      ? shown
      : h('li', { class: 'muted' }, events.length ? 'No event matches.' : 'No events yet.'),
  );
}
