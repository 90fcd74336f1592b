// The Resources tab: every resource type with its count and total size, and a drill-down into
// one component's resources (type, size, age, metadata, creation stack when known).
import { h, keepFocus, replace } from './dom.js';
import { bytes, count, duration, plural } from './format.js';

/** Render the by-type table from the snapshot's stats. */
export function renderTypes(tbody, stats, onPickType) {
  const entries = Object.entries(stats.byType).sort(
    (a, b) => b[1].bytes - a[1].bytes || b[1].count - a[1].count,
  );
  const total = stats.totalBytes;
  keepFocus(tbody, () =>
    replace(
      tbody,
      entries.length === 0
        ? h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No resources are tracked.'))
        : entries.map(([type, t]) => {
            const share = total > 0 ? t.bytes / total : 0;
            const bar = h('span', { class: 'bar' });
            bar.style.width = `${(share * 100).toFixed(1)}%`;
            return h(
              'tr',
              {
                tabindex: '0',
                dataset: { key: `type:${type}` },
                title: `Show ${type} resources of the selected component`,
                onclick: () => onPickType(type),
                onkeydown: (e) => e.key === 'Enter' && onPickType(type),
              },
              h('td', {}, type),
              h('td', { class: 'num' }, count(t.count)),
              h('td', { class: 'num' }, bytes(t.bytes)),
              h(
                'td',
                { class: 'share' },
                h('span', { class: 'bar-track' }, bar),
                h('span', { class: 'share-text' }, `${(share * 100).toFixed(1)}%`),
              ),
            );
          }),
    ),
  );
}

/** Fill a <select> with options [value, label], keeping the current choice when still present. */
export function fillSelect(select, options, preferred) {
  const current = preferred ?? select.value;
  replace(
    select,
    options.map(([value, label]) => h('option', { value }, label)),
  );
  if (options.some(([value]) => value === current)) select.value = current;
  return select.value;
}

/** Render one component's resources (`data` from GET /api/components/:id/resources). */
export function renderResourceList(tbody, countLabel, data) {
  countLabel.textContent =
    data.total > data.resources.length
      ? `showing ${count(data.resources.length)} of ${count(data.total)}`
      : plural(data.total, 'resource');
  if (data.resources.length === 0) {
    replace(
      tbody,
      h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'This component has no resources of this type.')),
    );
    return;
  }
  replace(
    tbody,
    data.resources.map((r) =>
      h(
        'tr',
        {},
        h('td', { class: 'num', 'data-label': '#' }, String(r.id)),
        h(
          'td',
          { 'data-label': 'Type' },
          r.type,
          r.weak ? h('span', { class: 'tag' }, 'weak') : null,
          r.evictable ? h('span', { class: 'tag' }, 'evictable') : null,
        ),
        h('td', { class: 'num', 'data-label': 'Size' }, bytes(r.size)),
        h('td', { class: 'num', 'data-label': 'Age' }, duration(r.ageMs)),
        h(
          'td',
          { 'data-label': 'Metadata' },
          r.metadata ? h('code', {}, JSON.stringify(r.metadata)) : h('span', { class: 'muted' }, 'none'),
        ),
        h(
          'td',
          { 'data-label': 'Created at', class: 'stack-cell' },
          r.stack
            ? h('details', {}, h('summary', {}, firstFrame(r.stack)), h('pre', {}, r.stack))
            : h('span', { class: 'muted' }, 'not recorded (enable leakTracking)'),
        ),
      ),
    ),
  );
}

function firstFrame(stack) {
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  const own =
    frames.find((f) => !/[\\/](core|node_modules)[\\/]/.test(f) && !f.includes('node:')) ??
    frames[0] ??
    'stack';
  return own.replace(/^at\s+/, '').slice(0, 90);
}
