// Formatting of numbers, sizes, durations and events for display.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes as `1.5 MiB` (exact below 1 KiB). */
export function bytes(n) {
  if (!Number.isFinite(n)) return String(n);
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** A count with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}

/** A duration in ms as `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 4 h`. */
export function duration(ms) {
  if (ms < 10) return `${Math.max(0, ms).toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Time of day `HH:MM:SS`. */
export function clock(t) {
  return new Date(t).toLocaleTimeString('en-GB', { hour12: false });
}

/** `n` and the noun, singular or plural: `1 component`, `2 components`, `3 leak findings`. */
export function plural(n, singular, pluralForm = `${singular}s`) {
  return `${count(n)} ${Number(n) === 1 ? singular : pluralForm}`;
}

/** A share (0…1) as a percentage with one decimal. */
export function percent(share) {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

const RELEASE_REASONS = {
  released: 'released by their handle',
  cleanup: 'at cleanup',
  evicted: 'evicted (least recently used, to stay under a memory limit)',
  collected: 'garbage-collected (weakly tracked)',
  untracked: 'untracked',
};

/** `N <type> resource(s)`, e.g. `1 memory resource`, `12 thumbnail resources`. */
function resources(n, type) {
  return `${count(n)} ${type} ${Number(n) === 1 ? 'resource' : 'resources'}`;
}

/** One line describing a monitor event. */
export function describeEvent(e) {
  switch (e.type) {
    case 'registered':
      return `registered as ${e.componentType}${e.parent ? ` under ${e.parent}` : ''} (${e.state})`;
    case 'stateChanged':
      return `${e.from} → ${e.to}${e.error ? `: ${e.error}` : ''}`;
    case 'tracked':
      return `${resources(e.count, e.resourceType)} tracked${e.bytes ? ` (${bytes(e.bytes)})` : ''}`;
    case 'released':
      return `${resources(e.count, e.resourceType)} released${e.bytes ? ` (${bytes(e.bytes)})` : ''}${e.reason ? ` ${RELEASE_REASONS[e.reason] ?? e.reason}` : ''}`;
    case 'resized':
      return `${resources(e.count, e.resourceType)} resized by ${e.bytes < 0 ? '−' : '+'}${bytes(Math.abs(e.bytes))}`;
    case 'cleanupStarted':
      return `cleanup started${e.reason ? ` (${e.reason})` : ''}`;
    case 'cleanupFinished':
      return `cleaned up in ${duration(e.durationMs)}: ${count(e.released)} released, ${count(e.failed)} failed, ${count(e.abandoned)} abandoned${e.deadlineExceeded ? ', deadline exceeded' : ''}`;
    case 'memoryThresholdExceeded':
      return e.action === 'evicted'
        ? `${e.scope} memory limit ${bytes(e.limitBytes)} reached: evicted ${resources(e.evicted, 'least recently used')} (${bytes(e.evictedBytes)}) to make room for ${bytes(e.requestedBytes)}`
        : `${e.scope} memory limit ${bytes(e.limitBytes)} exceeded (held ${bytes(e.currentBytes)}, asked ${bytes(e.requestedBytes)}): ${e.action === 'rejected' ? 'request rejected' : 'warned'}`;
    case 'leakDetected':
      return `leak (${e.kind}): ${e.message}`;
    case 'disposerFailed':
      return `disposer failed during ${e.phase}${e.resourceType ? ` (${e.resourceType} #${e.resource})` : ''}: ${e.error}`;
    case 'disposerTimedOut':
      return `disposer of ${e.resourceType} #${e.resource} abandoned after ${duration(e.timeoutMs)}`;
    case 'plugin':
      if (e.change === 'permissionDenied') {
        return `plugin ${e.plugin}: permission denied: ${e.permission} ${e.resource}`;
      }
      return `plugin ${e.plugin}: ${e.change}${e.state && e.state !== e.change ? ` → ${e.state}` : ''}`;
    case 'dropped':
      return `${plural(e.count, 'event was', 'events were')} not delivered (the page fell behind); the view was reloaded`;
    default:
      return e.type;
  }
}

/** Event types, for the log's filter. */
export const EVENT_TYPES = [
  'registered',
  'stateChanged',
  'tracked',
  'released',
  'resized',
  'cleanupStarted',
  'cleanupFinished',
  'memoryThresholdExceeded',
  'leakDetected',
  'disposerFailed',
  'disposerTimedOut',
  'plugin',
];

/**
 * How serious an event is: `error` (something is broken: a leak, a failed disposer or plugin),
 * `warn` (needs a look: a limit exceeded or refused, an abandoned disposer, a blocked plugin),
 * `info` (routine, including LRU evictions that kept a cache under its limit).
 */
export function severity(e) {
  switch (e.type) {
    case 'leakDetected':
    case 'disposerFailed':
      return 'error';
    case 'disposerTimedOut':
    case 'dropped':
      return 'warn';
    case 'memoryThresholdExceeded':
      // Eviction that made room is the policy working; falling short of the request is not.
      return e.action === 'evicted' && e.currentBytes - e.evictedBytes + e.requestedBytes <= e.limitBytes
        ? 'info'
        : 'warn';
    case 'stateChanged':
      return e.to === 'failed' ? 'error' : 'info';
    case 'cleanupFinished':
      return e.failed > 0 ? 'error' : e.abandoned > 0 || e.deadlineExceeded ? 'warn' : 'info';
    case 'plugin':
      if (e.change === 'permissionDenied') return 'warn';
      return e.state === 'failed' ? 'error' : e.state === 'blocked' ? 'warn' : 'info';
    default:
      return 'info';
  }
}
