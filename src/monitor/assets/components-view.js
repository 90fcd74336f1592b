// The Components tab's table: id, state, memory (with children and own), resources, type, age —
// the most important first; narrow screens hide the last ones (`p2`, `p3`: see dashboard.css),
// which the details panel still shows. Plugins that failed or are blocked have no live
// component; they are listed too (as `plugin:<id>` rows), so trouble is never out of view.
// Sortable by any column, filterable, as a tree (collapsible) or a flat list; keyboard usable
// (arrows move between rows, Enter selects, Left/Right collapse and expand).
import { h, replace } from './dom.js';
import { bytes, count, duration, plural } from './format.js';

const COLUMNS = [
  { key: 'id', label: 'Component' },
  { key: 'state', label: 'State' },
  {
    key: 'subtreeBytes',
    label: 'Memory',
    title: 'Bytes tracked by the component and its children',
    num: true,
  },
  { key: 'resources', label: 'Resources', num: true, priority: 2 },
  { key: 'ownBytes', label: 'Own', title: 'Bytes tracked by the component itself', num: true, priority: 3 },
  { key: 'type', label: 'Type', priority: 3 },
  { key: 'ageMs', label: 'Age', num: true, priority: 3 },
];

const priorityClass = (col) =>
  [col.num ? 'num' : '', col.priority ? `p${col.priority}` : ''].join(' ').trim() || undefined;

/** Plugins that are down (failed, blocked) as rows of their own: they hold no component. */
export function pluginRows(snapshot, now = Date.now()) {
  return (snapshot.plugins ?? [])
    .filter((p) => p.component === undefined && (p.state === 'failed' || p.state === 'blocked'))
    .map((p) => ({
      id: `plugin:${p.id}`,
      plugin: p,
      type: 'plugin',
      state: p.state,
      resources: 0,
      ownBytes: 0,
      subtreeBytes: 0,
      ageMs: p.since ? now - p.since : 0,
      children: [],
      parent: undefined,
    }));
}

// One collator for every comparison: `localeCompare` with options builds a new one per call,
// which made sorting 1,000 rows the slowest part of a render.
const collate = new Intl.Collator('en', { numeric: true }).compare;

const view = { sort: { key: 'id', dir: 1 }, filter: '', mode: 'tree', collapsed: new Set() };

function compare(a, b) {
  const { key, dir } = view.sort;
  const x = a[key];
  const y = b[key];
  const order = typeof x === 'number' ? x - y : collate(String(x), String(y));
  return order * dir || collate(a.id, b.id);
}

/** Rows to show, in order, each with its depth and whether it has (shown) children. */
function visibleRows(components) {
  const byId = new Map(components.map((c) => [c.id, c]));
  const text = view.filter.trim().toLowerCase();
  const matches = (c) =>
    text === '' ||
    c.id.toLowerCase().includes(text) ||
    c.type.toLowerCase().includes(text) ||
    c.state.toLowerCase().includes(text);
  if (view.mode === 'flat') {
    return components
      .filter(matches)
      .sort(compare)
      .map((c) => ({ c, depth: 0, hasChildren: false }));
  }
  const keep = new Set();
  for (const c of components) {
    if (!matches(c)) continue;
    for (let x = c; x && !keep.has(x.id); x = byId.get(x.parent)) keep.add(x.id);
  }
  const rows = [];
  const walk = (list, depth) => {
    for (const c of list.filter((x) => keep.has(x.id)).sort(compare)) {
      const kids = c.children.map((id) => byId.get(id)).filter(Boolean);
      const hasChildren = kids.some((k) => keep.has(k.id));
      rows.push({ c, depth, hasChildren });
      if (hasChildren && (text !== '' || !view.collapsed.has(c.id))) walk(kids, depth + 1);
    }
  };
  walk(
    components.filter((c) => c.parent === undefined || !byId.has(c.parent)),
    0,
  );
  return rows;
}

/** Memory with children, and against the component's limit when it has one. */
function memoryCell(c) {
  if (!c.memoryLimit) return bytes(c.subtreeBytes);
  const share = c.subtreeBytes / c.memoryLimit.bytes;
  return h(
    'span',
    {
      class: share >= 0.9 ? 'near-limit' : undefined,
      title: `${bytes(c.subtreeBytes)} of its ${bytes(c.memoryLimit.bytes)} limit (${c.memoryLimit.policy})`,
    },
    bytes(c.subtreeBytes),
    h('span', { class: 'of-limit' }, ` / ${bytes(c.memoryLimit.bytes)}`),
  );
}

/**
 * Create the components table inside `table`. `onSelect(id)` is called when a row is chosen.
 * Returns `render(snapshot, selectedId, elapsedMs)`; elapsedMs is the time since the snapshot.
 */
export function componentsTable(table, filterInput, modeInputs, countLabel, onSelect) {
  let last;
  const rerender = () => last && render(...last);
  filterInput.addEventListener('input', () => {
    view.filter = filterInput.value;
    rerender();
  });
  for (const input of modeInputs) {
    input.addEventListener('change', () => {
      if (input.checked) view.mode = input.value;
      rerender();
    });
  }
  const headRow = table.tHead.rows[0];
  const renderHead = () =>
    replace(
      headRow,
      COLUMNS.map((col) => {
        const active = view.sort.key === col.key;
        return h(
          'th',
          {
            scope: 'col',
            class: priorityClass(col),
            title: col.title,
            'aria-sort': active ? (view.sort.dir > 0 ? 'ascending' : 'descending') : 'none',
          },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              title: `Sort by ${col.label.toLowerCase()}`,
              onclick: () => {
                view.sort = { key: col.key, dir: active ? -view.sort.dir : col.num ? -1 : 1 };
                renderHead();
                rerender();
              },
            },
            col.label,
            h(
              'span',
              { class: 'arrow', 'aria-hidden': 'true' },
              active ? (view.sort.dir > 0 ? '▲' : '▼') : '',
            ),
          ),
        );
      }),
    );
  renderHead();

  const body = table.tBodies[0];
  body.addEventListener('keydown', (event) => {
    const row = event.target.closest('tr[data-id]');
    if (!row) return;
    const id = row.dataset.id;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(id);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next?.dataset.id) {
        for (const r of body.rows) r.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    } else if ((event.key === 'ArrowLeft' || event.key === 'ArrowRight') && row.dataset.parent === 'true') {
      event.preventDefault();
      if (event.key === 'ArrowLeft') view.collapsed.add(id);
      else view.collapsed.delete(id);
      rerender();
    }
  });

  function render(snapshot, selectedId, elapsedMs) {
    last = [snapshot, selectedId, elapsedMs];
    const focusedId = document.activeElement?.closest?.('#components tr[data-id]')?.dataset.id;
    const down = pluginRows(snapshot);
    const all = [...snapshot.components, ...down];
    const rows = visibleRows(all);
    // Roving tab stop: one row is in the Tab order (the focused, else the selected, else the
    // first); arrow keys move between rows, so Tab leaves the table in one step.
    const tabStop =
      [focusedId, selectedId].find((id) => id !== undefined && rows.some((r) => r.c.id === id)) ??
      rows[0]?.c.id;
    const shown = rows.filter((r) => !r.c.plugin).length;
    countLabel.textContent =
      `${count(shown)} of ${plural(snapshot.components.length, 'component')}` +
      (down.length ? ` · ${plural(down.length, 'plugin')} down` : '');
    replace(
      body,
      rows.map(({ c, depth, hasChildren }) => {
        const collapsed = view.collapsed.has(c.id) && view.filter.trim() === '';
        const toggle = hasChildren
          ? h(
              'button',
              {
                type: 'button',
                class: 'twisty',
                tabindex: '-1',
                'aria-label': collapsed ? `Expand ${c.id}` : `Collapse ${c.id}`,
                onclick: (event) => {
                  event.stopPropagation();
                  if (collapsed) view.collapsed.delete(c.id);
                  else view.collapsed.add(c.id);
                  rerender();
                },
              },
              collapsed ? '▸' : '▾',
            )
          : h('span', { class: 'twisty-space' });
        const cell = h(
          'td',
          { class: 'id-cell' },
          view.mode === 'tree' ? toggle : null,
          h('span', { class: 'cid' }, c.plugin ? c.plugin.id : c.id),
          c.plugin ? h('span', { class: 'tag' }, 'plugin, no component') : null,
        );
        cell.style.paddingLeft = `${0.5 + depth * 1.25}rem`;
        return h(
          'tr',
          {
            tabindex: c.id === tabStop ? '0' : '-1',
            dataset: { id: c.id, parent: String(hasChildren) },
            'aria-selected': String(c.id === selectedId),
            'aria-expanded': view.mode === 'tree' && hasChildren ? String(!collapsed) : undefined,
            'aria-level': view.mode === 'tree' ? String(depth + 1) : undefined,
            class:
              [c.id === selectedId ? 'selected' : '', c.plugin ? 'down' : ''].join(' ').trim() || undefined,
            onclick: () => onSelect(c.id),
          },
          cell,
          h('td', {}, h('span', { class: `badge state-${c.state}` }, c.state)),
          h('td', { class: 'num' }, memoryCell(c)),
          h('td', { class: 'num p2' }, count(c.resources)),
          h('td', { class: 'num p3' }, bytes(c.ownBytes)),
          h('td', { class: 'p3' }, c.type),
          h('td', { class: 'num p3' }, duration(c.ageMs + (c.plugin ? 0 : elapsedMs))),
        );
      }),
    );
    if (rows.length === 0) {
      body.append(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: String(COLUMNS.length), class: 'empty' },
            snapshot.components.length === 0
              ? 'No components are registered.'
              : 'No component matches the filter.',
          ),
        ),
      );
    }
    if (focusedId !== undefined) {
      for (const row of body.rows) if (row.dataset.id === focusedId) row.focus();
    }
  }
  return render;
}
