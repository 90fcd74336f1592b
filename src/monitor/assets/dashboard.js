// Steward monitor dashboard: loads the snapshot, keeps it fresh from the live event stream
// (and a slow poll for ages, resizes and process figures), and wires the header, tabs, views
// and actions. When the monitor cannot be reached the page says so, marks the data as stale,
// disables every action and keeps trying (or reconnects at once on request). Its own listeners,
// stream and timers are owned with steward/dom (ledger.js): the page, the stream and the view on
// screen are components, so a view's listeners and polling go when another view is shown.
import { createActions } from './actions.js';
import { getJson, openStream, seg } from './api.js';
import { memoryChart } from './chart.js';
import { componentsTable } from './components-view.js';
import { renderDetails } from './details-view.js';
import { clock, EVENT_TYPES } from './format.js';
import { renderLeaks } from './leaks-view.js';
import { page, streamLedger, viewLedger } from './ledger.js';
import { renderPlugins } from './plugins-view.js';
import { renderProcess } from './process-view.js';
import { profilePlugin, profiling } from './profile-view.js';
import { fillSelect, renderResourceList, renderTypes } from './resources-view.js';
import { renderCards, renderLog } from './stats-view.js';
import { renderStatus } from './status-view.js';

const $ = (id) => document.getElementById(id);
const MAX_EVENTS = 500;
const POLL_MS = 2000;

const store = {
  snapshot: undefined,
  receivedAt: 0,
  selected: undefined,
  tab: 'components',
  view: undefined,
  events: [],
  lastSeq: 0,
  history: new Map(),
  resourceComponent: undefined,
  resourceType: '',
  leaks: { total: 0, findings: [] },
  offlineSince: undefined,
};
const offline = () => store.offlineSince !== undefined;

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
  openView(name);
  render();
}
for (const tab of document.querySelectorAll('[role=tab]')) {
  page.listen(tab, 'click', () => showTab(tab.id.slice(4)));
  page.listen(tab, 'keydown', (event) => {
    const list = tabs();
    const i = list.indexOf(tab);
    const next = {
      ArrowRight: list[(i + 1) % list.length],
      ArrowLeft: list[(i - 1 + list.length) % list.length],
      Home: list[0],
      End: list.at(-1),
    }[event.key];
    if (next) {
      event.preventDefault();
      showTab(next.id.slice(4), true);
    }
  });
}

function setBadge(tabId, n, kind) {
  const badge = $(tabId).querySelector('.tab-badge');
  badge.hidden = n === 0;
  badge.textContent = n === 0 ? '' : String(n);
  badge.dataset.kind = kind;
  badge.setAttribute('aria-label', n === 0 ? '' : `${n} need attention`);
}

// ---- actions -----------------------------------------------------------------------------
function component(id) {
  return store.snapshot?.components.find((c) => c.id === id);
}
function subtreeCount(id) {
  const c = component(id);
  return c ? c.children.reduce((n, child) => n + subtreeCount(child), 1) : 0;
}
function owner(id) {
  return store.snapshot?.plugins?.find((p) => p.component === id);
}
const actions = createActions({
  component,
  subtreeCount,
  owner,
  refresh: () => refresh(),
  show(tab, { selected, resourceComponent } = {}) {
    if (selected !== undefined) store.selected = selected;
    if (resourceComponent !== undefined) {
      store.resourceComponent = resourceComponent;
      store.resourceType = '';
    }
    showTab(tab);
  },
});
actions.profile = (id) => profilePlugin(id, $('profile-seconds'), $('profile-result'), () => render());
actions.profiling = profiling;
page.listen($('leak-check'), 'click', () => actions.leakCheck());
page.listen($('measure-memory'), 'click', () => actions.measureMemory());

// ---- rendering ------------------------------------------------------------------------------
const selectComponent = (id) => {
  store.selected = id;
  render();
  if (!id.startsWith('plugin:')) loadHistory(id);
  // Narrow screens stack the details below the table: bring them into view.
  if (window.matchMedia('(max-width: 1000px)').matches) $('details').scrollIntoView({ block: 'nearest' });
};
const renderComponents = componentsTable(
  $('components'),
  $('component-filter'),
  document.querySelectorAll('input[name=component-view]'),
  $('component-count'),
  selectComponent,
);

function componentOptions(withTotal) {
  const list = store.snapshot.components.map((c) => [c.id, `${c.id} (${c.type})`]);
  return withTotal ? [['', 'all components (total)'], ...list] : list;
}

function selectedRow(snap) {
  if (store.selected?.startsWith('plugin:')) {
    const p = snap.plugins?.find((x) => `plugin:${x.id}` === store.selected && x.component === undefined);
    return p ? { id: store.selected, plugin: p } : undefined;
  }
  return component(store.selected);
}

function render() {
  const snap = store.snapshot;
  if (!snap) return;
  document.body.classList.toggle('is-offline', offline());
  $('leak-check').disabled = offline();
  $('measure-memory').disabled = offline();
  $('measure-memory').hidden = !(snap.plugins ?? []).some((p) => p.isolation === 'inline');
  const elapsed = offline() ? 0 : Date.now() - store.receivedAt;
  const s = snap.stats;
  const sum = renderStatus($('status'), snap, (tab) => showTab(tab));
  $('tab-plugins').hidden = snap.plugins === null;
  setBadge('tab-plugins', sum.pluginsDown, 'bad');
  setBadge('tab-leaks', sum.leaks, 'bad');
  const row = selectedRow(snap);
  if (store.selected && !row) store.selected = undefined;
  if (store.tab === 'components') {
    renderComponents(snap, store.selected, elapsed);
    renderDetails($('details'), row, elapsed, store.history.get(store.selected), actions, {
      owner: row && !row.plugin ? owner(row.id) : undefined,
      offline: offline(),
    });
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
        (component(store.selected) ? store.selected : undefined) ??
        [...snap.components].sort((a, b) => b.resources - a.resources)[0].id;
      store.resourceComponent = fillSelect($('resource-component'), options, preferred);
      loadResources();
    }
  } else if (store.tab === 'statistics') {
    renderCards($('stat-cards'), s);
    fillSelect($('chart-component'), componentOptions(true));
    loadChart();
    showLog();
  } else if (store.tab === 'plugins' && snap.plugins) {
    renderPlugins($('plugins'), snap.plugins, actions, offline());
  } else if (store.tab === 'leaks') {
    showLeaks();
  }
}

function showLeaks() {
  const reported = store.snapshot?.stats.leaksDetected;
  renderLeaks($('leak-list'), $('leak-count'), store.leaks, $('leak-kind').value, actions, reported);
}

function showLog() {
  renderLog($('event-log'), store.events, $('log-type').value, $('log-filter').value);
}

// ---- the server going away -------------------------------------------------------------------
function setOffline(reason) {
  if (reason === undefined) {
    if (!offline()) return;
    store.offlineSince = undefined;
    $('stale').hidden = true;
    render();
    return;
  }
  store.offlineSince ??= Date.now();
  $('stale-text').textContent =
    `The monitor has not answered since ${clock(store.offlineSince)} (${reason}). What is shown is as of ` +
    `${clock(store.receivedAt)} and may be stale; actions are disabled. The page keeps trying; ` +
    'if the application restarted, open the new URL it printed.';
  $('stale').hidden = false;
  setConnection('offline');
  render();
}
page.listen($('reconnect'), 'click', () => {
  connectStream();
  refresh();
});

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
      setOffline(undefined);
      render();
      if (store.selected && store.tab === 'components' && component(store.selected))
        loadHistory(store.selected);
      if (store.tab === 'leaks' || store.snapshot.leaks.total !== store.leaks.total) loadLeaks();
    } catch (error) {
      if (error.status === 0 || error.status === 401) setOffline(error.message);
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
  refreshTimer = page.setTimeout(() => {
    refreshTimer = undefined;
    refresh();
  }, 200);
}

async function loadHistory(id) {
  try {
    const series = await getJson(`/api/history?component=${seg(id)}`);
    store.history = new Map([[id, series]]);
    if (store.tab === 'components' && store.selected === id) {
      renderDetails($('details'), component(id), Date.now() - store.receivedAt, series, actions, {
        owner: owner(id),
        offline: offline(),
      });
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

async function loadLeaks() {
  try {
    store.leaks = await getJson('/api/leaks');
    const kinds = [...new Set(store.leaks.findings.map((f) => f.kind))].sort();
    fillSelect($('leak-kind'), [['', 'all kinds'], ...kinds.map((k) => [k, k])]);
    if (store.tab === 'leaks') showLeaks();
  } catch {
    // Shown as offline by the snapshot refresh.
  }
}

async function loadProcess() {
  try {
    const data = await getJson('/api/process');
    if (store.tab === 'process' && store.snapshot) {
      renderProcess($('process'), data, store.snapshot.stats, $('process').clientWidth * 0.6);
    }
  } catch {
    // Shown as offline by the snapshot refresh.
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

// ---- views: what each one listens to and polls lives while it is on screen -----------------
const VIEWS = {
  resources(ledger) {
    ledger.listen($('resource-component'), 'change', (e) => {
      store.resourceComponent = e.target.value;
      store.resourceType = '';
      loadResources();
    });
    ledger.listen($('resource-type'), 'change', (e) => {
      store.resourceType = e.target.value;
      loadResources();
    });
  },
  statistics(ledger) {
    ledger.listen($('chart-component'), 'change', loadChart);
    for (const id of ['log-type', 'log-filter']) ledger.listen($(id), 'input', showLog);
  },
  leaks(ledger) {
    ledger.listen($('leak-kind'), 'change', render);
    loadLeaks();
  },
  process(ledger) {
    ledger.setInterval(loadProcess, POLL_MS);
    loadProcess();
  },
};
function openView(name) {
  const fresh = store.view !== name;
  store.view = name;
  const ledger = viewLedger(name);
  if (fresh) VIEWS[name]?.(ledger);
}
fillSelect($('log-type'), [['', 'all events'], ...EVENT_TYPES.map((t) => [t, t])]);

// ---- live events ---------------------------------------------------------------------------
function setConnection(state) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = state;
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
  if (store.tab === 'statistics') showLog();
}

function connectStream() {
  openStream(streamLedger(), onBatch, (state) => {
    if (state === 'live') {
      setConnection('live');
      if (offline()) refresh();
    } else if (!offline()) setConnection(state);
    // A stream that fails may mean the server is gone: ask now rather than at the next poll.
    if (state !== 'live') refresh();
  });
}
openView(store.tab);
connectStream();
page.setInterval(refresh, POLL_MS);
refresh();
