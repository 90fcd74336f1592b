// The Process tab, as a task manager shows a process: V8 heap against its limit, RSS, memory
// outside the heap, CPU and event-loop utilisation, event-loop delay, active handles by type,
// and RSS / heap over time. What Steward tracks (declared sizes) is shown beside it, so a 0 B
// "tracked" total is never mistaken for the process using no memory.
import { lineChart } from './chart.js';
import { h, replace } from './dom.js';
import { bytes, count, duration, percent } from './format.js';

function meter(share) {
  const bar = h('span', { class: 'bar' });
  bar.style.width = `${Math.min(100, share * 100).toFixed(1)}%`;
  return h('span', { class: `bar-track${share >= 0.85 ? ' hot' : ''}` }, bar);
}

function card(label, value, note, extra) {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value),
    extra ?? null,
    h('div', { class: 'card-note' }, note),
  );
}

/** Render `p` (GET /api/process) and the manager's `stats` into `container`. */
export function renderProcess(container, p, stats, width) {
  const m = p.memory;
  const heapShare = m.heapUsed / m.heapLimit;
  const cards = h(
    'div',
    { class: 'cards' },
    card(
      'Heap used',
      bytes(m.heapUsed),
      `of ${bytes(m.heapLimit)} limit (${percent(heapShare)}); ${bytes(m.heapTotal)} reserved`,
      meter(heapShare),
    ),
    card('Resident (RSS)', bytes(m.rss), 'all memory of the process'),
    card('Outside the heap', bytes(m.external), `${bytes(m.arrayBuffers)} in ArrayBuffers`),
    card(
      'CPU',
      percent(p.cpu.total),
      `${percent(p.cpu.user)} user, ${percent(p.cpu.system)} system (of one core)`,
    ),
    card('Event loop busy', percent(p.elu), 'event-loop utilisation since the last reading', meter(p.elu)),
    card(
      'Event-loop delay',
      duration(p.loopDelay.p99),
      `p99; p50 ${duration(p.loopDelay.p50)}, max ${duration(p.loopDelay.max)}`,
    ),
    card(
      'Tracked by Steward',
      bytes(stats.totalBytes),
      `declared sizes of ${count(stats.activeResources)} resources${stats.memoryLimit ? `; limit ${bytes(stats.memoryLimit.bytes)}` : ''}`,
    ),
    card('Process', `pid ${p.pid}`, `Node ${p.node}, up ${duration(p.uptimeMs)}`),
  );
  const handles = Object.entries(p.handles);
  const table = h(
    'table',
    { class: 'grid compact', 'aria-label': 'Active handles by type' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Handle type'),
        h('th', { scope: 'col', class: 'num' }, 'Active'),
      ),
    ),
    h(
      'tbody',
      {},
      handles.length === 0
        ? h('tr', {}, h('td', { colspan: '2', class: 'empty' }, 'No active handle.'))
        : handles.map(([type, n]) => h('tr', {}, h('td', {}, type), h('td', { class: 'num' }, count(n)))),
    ),
  );
  replace(
    container,
    cards,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        { class: 'main-col box' },
        h('h2', {}, 'Process memory over time'),
        lineChart({
          title: 'Process memory',
          samples: p.history.samples,
          series: [
            { key: 'rss', label: 'RSS', cls: 'subtree' },
            { key: 'heapUsed', label: 'heap used', cls: 'own' },
          ],
          width,
        }),
      ),
      h(
        'div',
        { class: 'side-col' },
        h('h2', {}, 'Active handles'),
        h('p', { class: 'muted' }, 'What keeps the event loop alive (process.getActiveResourcesInfo()).'),
        table,
      ),
    ),
  );
}
