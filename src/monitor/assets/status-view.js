// The operator header: whether anything is wrong, at a glance — plugins failed, blocked or
// unresponsive, leak findings, disposer failures, memory against limits, the process's heap.
// Each problem is a button that opens the view explaining it.
import { h, keepFocus, replace } from './dom.js';
import { bytes, plural } from './format.js';

/** A plugin stuck this long in activating/deactivating counts as unresponsive. */
const STUCK_MS = 5000;

/** The problems and facts of a snapshot, for the header and the tab badges. */
export function summarize(snapshot, now = Date.now()) {
  const plugins = snapshot.plugins ?? [];
  const failed = plugins.filter((p) => p.state === 'failed');
  const blocked = plugins.filter((p) => p.state === 'blocked');
  const unresponsive = plugins.filter(
    (p) =>
      p.health?.responsive === false ||
      ((p.state === 'activating' || p.state === 'deactivating') &&
        p.since !== undefined &&
        now - p.since >= STUCK_MS),
  );
  const nearLimit = snapshot.components.filter(
    (c) => c.memoryLimit && c.subtreeBytes >= 0.9 * c.memoryLimit.bytes,
  );
  const s = snapshot.stats;
  return {
    plugins,
    active: plugins.filter((p) => p.state === 'active').length,
    failed,
    blocked,
    unresponsive,
    nearLimit,
    // All leaks the manager reported (the Leaks view details those since the monitor started).
    leaks: Math.max(s.leaksDetected, snapshot.leaks?.total ?? 0),
    disposerFailures: s.disposerFailures,
    pluginsDown: failed.length + blocked.length + unresponsive.length,
  };
}

function chip(kind, text, title, onclick, key) {
  return h(
    'li',
    {},
    h('button', { type: 'button', class: `chip ${kind}`, title, onclick, dataset: { key } }, text),
  );
}

/** Render the header's status list. `go(tab)` opens a view. */
export function renderStatus(list, snapshot, go) {
  const sum = summarize(snapshot);
  const s = snapshot.stats;
  const items = [];
  if (snapshot.plugins !== null) {
    if (sum.failed.length) {
      items.push(
        chip(
          'bad',
          `${plural(sum.failed.length, 'plugin')} failed`,
          sum.failed.map((p) => p.id).join(', '),
          () => go('plugins'),
          'failed',
        ),
      );
    }
    if (sum.unresponsive.length) {
      items.push(
        chip(
          'bad',
          `${plural(sum.unresponsive.length, 'plugin')} unresponsive`,
          sum.unresponsive.map((p) => p.id).join(', '),
          () => go('plugins'),
          'unresponsive',
        ),
      );
    }
    if (sum.blocked.length) {
      items.push(
        chip(
          'warn',
          `${plural(sum.blocked.length, 'plugin')} blocked`,
          sum.blocked.map((p) => `${p.id} (needs ${p.blockedBy ?? '?'})`).join(', '),
          () => go('plugins'),
          'blocked',
        ),
      );
    }
    if (!sum.pluginsDown) {
      items.push(
        chip(
          'ok',
          `${sum.active} of ${plural(sum.plugins.length, 'plugin')} active`,
          'Every plugin is running',
          () => go('plugins'),
          'plugins',
        ),
      );
    }
  }
  items.push(
    sum.leaks
      ? chip(
          'bad',
          plural(sum.leaks, 'leak finding'),
          'Leaks found since the monitor started',
          () => go('leaks'),
          'leaks',
        )
      : chip('ok', 'no leaks', 'No leak found since the monitor started', () => go('leaks'), 'leaks'),
  );
  if (sum.disposerFailures) {
    items.push(
      chip(
        'bad',
        plural(sum.disposerFailures, 'disposer failure'),
        'Disposers that threw or rejected',
        () => go('statistics'),
        'disposers',
      ),
    );
  }
  if (sum.nearLimit.length) {
    items.push(
      chip(
        'warn',
        `${plural(sum.nearLimit.length, 'component')} near its memory limit`,
        sum.nearLimit
          .map((c) => `${c.id}: ${bytes(c.subtreeBytes)} of ${bytes(c.memoryLimit.bytes)}`)
          .join('; '),
        () => go('components'),
        'limits',
      ),
    );
  }
  const limit = s.memoryLimit;
  const overGlobal = limit && s.totalBytes >= 0.9 * limit.bytes;
  items.push(
    chip(
      overGlobal ? 'warn' : 'plain',
      limit ? `tracked ${bytes(s.totalBytes)} of ${bytes(limit.bytes)}` : `tracked ${bytes(s.totalBytes)}`,
      'Bytes declared by tracked resources',
      () => go('resources'),
      'tracked',
    ),
  );
  const p = snapshot.process;
  if (p) {
    const heapShare = p.memory.heapUsed / p.memory.heapLimit;
    items.push(
      chip(
        heapShare >= 0.85 ? 'warn' : 'plain',
        `heap ${bytes(p.memory.heapUsed)} · RSS ${bytes(p.memory.rss)}`,
        `V8 heap ${bytes(p.memory.heapUsed)} of ${bytes(p.memory.heapLimit)}`,
        () => go('process'),
        'process',
      ),
    );
  }
  keepFocus(list, () => replace(list, items));
  return sum;
}
