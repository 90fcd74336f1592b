// Steward monitor dashboard: loads the snapshot, keeps it fresh from the live event stream
// (and a slow poll for ages and resizes), and wires tabs, tables and actions.
import { ApiError, getJson, openStream, postJson, seg } from './api.js';
import { memoryChart } from './chart.js';
import { componentsTable } from './components-view.js';
import { confirmAction, toast } from './confirm.js';
import { renderDetails } from './details-view.js';
import { bytes, count, EVENT_TYPES } from './format.js';
import { renderPlugins } from './plugins-view.js';
import { fillSelect, renderResourceList, renderTypes } from './resources-view.js';
import { renderCards, renderLog } from './stats-view.js';

const $ = (id) => document.getElementById(id);
const MAX_EVENTS = 500;
const POLL_MS = 2000;

const store = {
  snapshot: undefined,
  receivedAt: 0,
  selected: undefined,
  tab: 'components',
  events: [],
  lastSeq: 0,
  history: new Map(),
  resourceComponent: undefined,
  resourceType: '',
};

// ---- tabs (arrow keys move between them, as in the WAI-ARIA tabs pattern) -----------------
const tabs = () => [...document.querySelectorAll('[role=tab]')].filter((t) => !t.hidden);
function showTab(name, focus = false) {
  store.tab = name;
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    if (on && focus) tab.focus();
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
  render();
}
for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => showTab(tab.id.slice(4)));
  tab.addEventListener('keydown', (event) => {
    const list = tabs();
    const i = list.indexOf(tab);
    const next =
      event.key === 'ArrowRight'
        ? list[(i + 1) % list.length]
        : event.key === 'ArrowLeft'
          ? list[(i - 1 + list.length) % list.length]
          : event.key === 'Home'
            ? list[0]
            : event.key === 'End'
              ? list.at(-1)
              : undefined;
    if (next) {
      event.preventDefault();
      showTab(next.id.slice(4), true);
    }
  });
}

// ---- actions, each behind a confirmation ---------------------------------------------------
async function act(title, question, label, path, describe) {
  if (!(await confirmAction(title, question, label))) return;
  try {
    const result = await postJson(path, {});
    toast(describe(result));
  } catch (error) {
    toast(error instanceof ApiError ? error.message : String(error), 'error');
  }
  await refresh();
}

function component(id) {
  return store.snapshot?.components.find((c) => c.id === id);
}

function subtreeCount(id) {
  const c = component(id);
  return c ? c.children.reduce((n, child) => n + subtreeCount(child), 1) : 0;
}

const actions = {
  cleanup(id) {
    const c = component(id);
    const descendants = subtreeCount(id) - 1;
    return act(
      'Clean up component',
      `Clean up "${id}"? Its ${count(c?.resources ?? 0)} resources` +
        (descendants > 0 ? ` and ${descendants} descendant component(s)` : '') +
        ` (${bytes(c?.subtreeBytes ?? 0)}) will be released and the component destroyed. This cannot be undone.`,
      'Clean up',
      `/api/components/${seg(id)}/cleanup`,
      (r) =>
        `Cleaned up ${r.components.length} component(s): ${r.released} released, ${r.failed.length} failed, ` +
        `${r.abandoned.length} abandoned in ${r.durationMs.toFixed(1)} ms.` +
        (r.failed.length ? ` First failure: ${r.failed[0].error}` : ''),
    );
  },
  pause(id) {
    return act(
      'Pause component',
      `Pause "${id}" (state active → paused)?`,
      'Pause',
      `/api/components/${seg(id)}/pause`,
      (r) => `"${r.id}" is now ${r.state}.`,
    );
  },
  resume(id) {
    return act(
      'Resume component',
      `Resume "${id}" (state paused → active)?`,
      'Resume',
      `/api/components/${seg(id)}/resume`,
      (r) => `"${r.id}" is now ${r.state}.`,
    );
  },
  reload(id) {
    return act(
      'Reload plugin',
      `Reload plugin "${id}"? It is deactivated, its resources released, and loaded again.`,
      'Reload',
      `/api/plugins/${seg(id)}/reload`,
      (r) => `Plugin "${r.id}" reloaded${r.plugin ? ` (${r.plugin.state})` : ''}.`,
    );
  },
  unload(id) {
    return act(
      'Unload plugin',
      `Unload plugin "${id}"? It is deactivated and its resources released.`,
      'Unload',
      `/api/plugins/${seg(id)}/unload`,
      (r) => `Plugin "${r.id}" unloaded${r.plugin ? ` (${r.plugin.state})` : ''}.`,
    );
  },
  showResources(id) {
    store.resourceComponent = id;
    store.resourceType = '';
    showTab('resources');
  },
  showComponent(id) {
    store.selected = id;
    showTab('components');
  },
};
$('leak-check').addEventListener('click', () =>
  act(
    'Run leak check',
    'Look for leaks now? Components whose owner was garbage-collected without cleanup are cleaned up; long-lived resources are reported.',
    'Run leak check',
    '/api/leaks/check',
    (r) =>
      r.findings.length === 0
        ? 'Leak check: nothing found.'
        : `Leak check: ${r.findings.length} finding(s): ${r.findings.map((f) => f.message).join(' ')}`,
  ),
);

// ---- rendering ------------------------------------------------------------------------------
const renderComponents = componentsTable(
  $('components'),
  $('component-filter'),
  document.querySelectorAll('input[name=component-view]'),
  $('component-count'),
  (id) => {
    store.selected = id;
    render();
    loadHistory(id);
  },
);

function componentOptions(withTotal) {
  const list = store.snapshot.components.map((c) => [c.id, `${c.id} (${c.type})`]);
  return withTotal ? [['', 'all components (total)'], ...list] : list;
}

function render() {
  const snap = store.snapshot;
  if (!snap) return;
  const elapsed = Date.now() - store.receivedAt;
  const s = snap.stats;
  $('summary').textContent =
    `${count(s.components)} components · ${count(s.activeResources)} resources · ${bytes(s.totalBytes)} tracked`;
  $('tab-plugins').hidden = snap.plugins === null;
  if (store.selected && !component(store.selected)) store.selected = undefined;
  if (store.tab === 'components') {
    renderComponents(snap, store.selected, elapsed);
    renderDetails(
      $('details'),
      component(store.selected),
      elapsed,
      store.history.get(store.selected),
      actions,
    );
  } else if (store.tab === 'resources') {
    renderTypes($('types').tBodies[0], s, (type) => {
      store.resourceType = type;
      loadResources();
    });
    const options = componentOptions(false);
    if (options.length === 0) {
      fillSelect($('resource-component'), [['', 'no components']]);
      renderResourceList($('resource-list').tBodies[0], $('resource-count'), { total: 0, resources: [] });
    } else {
      const preferred =
        store.resourceComponent ??
        store.selected ??
        [...snap.components].sort((a, b) => b.resources - a.resources)[0].id;
      store.resourceComponent = fillSelect($('resource-component'), options, preferred);
      loadResources();
    }
  } else if (store.tab === 'statistics') {
    renderCards($('stat-cards'), s);
    fillSelect($('chart-component'), componentOptions(true));
    loadChart();
    renderLog($('event-log'), store.events, $('log-type').value, $('log-filter').value);
  } else if (store.tab === 'plugins' && snap.plugins) {
    renderPlugins($('plugins').tBodies[0], snap.plugins, actions);
  }
}

// ---- data loading ------------------------------------------------------------------------------
let inflight;
let again = false;
async function refresh() {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    try {
      store.snapshot = await getJson('/api/snapshot');
      store.receivedAt = Date.now();
      render();
      if (store.selected && store.tab === 'components') loadHistory(store.selected);
    } catch (error) {
      setConnection('error', error.message);
    }
  })();
  await inflight;
  inflight = undefined;
  if (again) {
    again = false;
    await refresh();
  }
}

let refreshTimer;
function scheduleRefresh() {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    refresh();
  }, 200);
}

async function loadHistory(id) {
  try {
    const series = await getJson(`/api/history?component=${seg(id)}`);
    store.history = new Map([[id, series]]);
    if (store.tab === 'components' && store.selected === id) {
      renderDetails($('details'), component(id), Date.now() - store.receivedAt, series, actions);
    }
  } catch {
    // The component went away meanwhile; the next refresh drops it.
  }
}

async function loadChart() {
  const id = $('chart-component').value;
  try {
    const series = await getJson(id ? `/api/history?component=${seg(id)}` : '/api/history');
    $('chart').replaceChildren(
      memoryChart(series.samples, id || 'All components', $('chart').clientWidth, !id),
    );
  } catch (error) {
    $('chart').textContent = error.message;
  }
}

async function loadResources() {
  const id = store.resourceComponent;
  if (!id) return;
  const c = component(id);
  const typeOptions = [
    ['', 'all types'],
    ...Object.keys(c?.byType ?? {})
      .sort()
      .map((t) => [t, t]),
  ];
  if (store.resourceType && !typeOptions.some(([t]) => t === store.resourceType))
    typeOptions.push([store.resourceType, store.resourceType]);
  store.resourceType = fillSelect($('resource-type'), typeOptions, store.resourceType);
  const query = store.resourceType ? `&type=${encodeURIComponent(store.resourceType)}` : '';
  try {
    const data = await getJson(`/api/components/${seg(id)}/resources?limit=500${query}`);
    if (store.resourceComponent === id)
      renderResourceList($('resource-list').tBodies[0], $('resource-count'), data);
  } catch (error) {
    $('resource-count').textContent = error.message;
  }
}

$('resource-component').addEventListener('change', (e) => {
  store.resourceComponent = e.target.value;
  store.resourceType = '';
  loadResources();
});
$('resource-type').addEventListener('change', (e) => {
  store.resourceType = e.target.value;
  loadResources();
});
$('chart-component').addEventListener('change', loadChart);
fillSelect($('log-type'), [['', 'all events'], ...EVENT_TYPES.map((t) => [t, t])]);
for (const id of ['log-type', 'log-filter']) {
  $(id).addEventListener('input', () =>
    renderLog($('event-log'), store.events, $('log-type').value, $('log-filter').value),
  );
}

// ---- live events ---------------------------------------------------------------------------
function setConnection(state, title) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'live' : state === 'error' ? 'error' : 'reconnecting';
  el.title = title ?? '';
}

function onBatch(batch) {
  let resync = false;
  for (const e of batch) {
    if (e.type === 'dropped') resync = true;
    else if (e.seq <= store.lastSeq) continue;
    else store.lastSeq = e.seq;
    store.events.push(e);
  }
  if (store.events.length > MAX_EVENTS) store.events.splice(0, store.events.length - MAX_EVENTS);
  if (resync) refresh();
  else scheduleRefresh();
  if (store.tab === 'statistics')
    renderLog($('event-log'), store.events, $('log-type').value, $('log-filter').value);
}

openStream(onBatch, (state) => setConnection(state));
setInterval(refresh, POLL_MS);
refresh();
