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

/** One line describing a monitor event. */
export function describeEvent(e) {
  switch (e.type) {
    case 'registered':
      return `registered (${e.componentType})${e.parent ? ` under ${e.parent}` : ''}, ${e.state}`;
    case 'stateChanged':
      return `${e.from} → ${e.to}${e.error ? `: ${e.error}` : ''}`;
    case 'tracked':
      return `tracked ${count(e.count)} ${e.resourceType}${e.bytes ? ` (${bytes(e.bytes)})` : ''}`;
    case 'released':
      return `released ${count(e.count)} ${e.resourceType}${e.bytes ? ` (${bytes(e.bytes)})` : ''}${e.reason ? `, ${e.reason}` : ''}`;
    case 'resized':
      return `resized ${count(e.count)} ${e.resourceType} by ${e.bytes < 0 ? '−' : '+'}${bytes(Math.abs(e.bytes))}`;
    case 'cleanupStarted':
      return `cleanup started${e.reason ? ` (${e.reason})` : ''}`;
    case 'cleanupFinished':
      return `cleaned up in ${duration(e.durationMs)}: ${e.released} released, ${e.failed} failed, ${e.abandoned} abandoned${e.deadlineExceeded ? ', deadline exceeded' : ''}`;
    case 'memoryThresholdExceeded':
      return `${e.scope} memory limit ${bytes(e.limitBytes)} exceeded (held ${bytes(e.currentBytes)}, asked ${bytes(e.requestedBytes)}): ${e.action}${e.evicted ? ` ${e.evicted} resources` : ''}`;
    case 'leakDetected':
      return `leak (${e.kind}): ${e.message}`;
    case 'disposerFailed':
      return `disposer failed during ${e.phase}${e.resourceType ? ` (${e.resourceType} #${e.resource})` : ''}: ${e.error}`;
    case 'disposerTimedOut':
      return `disposer of ${e.resourceType} #${e.resource} abandoned after ${duration(e.timeoutMs)}`;
    case 'plugin':
      return `plugin ${e.plugin}: ${e.change}${e.state ? ` → ${e.state}` : ''}`;
    case 'dropped':
      return `${count(e.count)} events were not delivered (the page fell behind); the view was reloaded`;
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

/** Whether an event is a problem (shown highlighted). */
export function isProblem(e) {
  return (
    e.type === 'leakDetected' ||
    e.type === 'disposerFailed' ||
    e.type === 'disposerTimedOut' ||
    e.type === 'memoryThresholdExceeded' ||
    (e.type === 'stateChanged' && e.to === 'failed') ||
    (e.type === 'cleanupFinished' && (e.failed > 0 || e.abandoned > 0))
  );
}
