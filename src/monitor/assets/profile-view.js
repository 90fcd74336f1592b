// Profiles on demand from the Plugins tab: the "Profile…" button of a plugin asks the monitor for
// a CPU profile of the thread the plugin runs on — the host's, or its own worker or process
// (POST /api/plugins/:id/profile?seconds=N, as `steward profile` does), shows its progress, then
// the plugin's share of the samples and its hottest function and line, and offers the
// `.cpuprofile` (DevTools opens it) as a download. A refusal (409: another profile runs, a
// debugger holds the inspector, the plugin is not active; 404; 400 for a process plugin under the
// permission model) is shown in the panel and a toast. One profile at a time.
import { ApiError, postJson, seg } from './api.js';
import { confirmAction, toast } from './confirm.js';
import { h, replace } from './dom.js';
import { count, duration, percent } from './format.js';
import { page } from './ledger.js';

/** Bounds of the profile's length, s (the API's). */
const SECONDS = { min: 1, max: 60 };

let running;
let objectUrl;

/** The id of the plugin being profiled now, or undefined. */
export function profiling() {
  return running;
}

/** `2026-12-02T13-45-12-345Z`, as `steward profile` names its files. */
function stamp(date) {
  return date.toISOString().replace(/[:.]/g, '-');
}

function showResult(panel, r) {
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = URL.createObjectURL(new Blob([JSON.stringify(r.profile)], { type: 'application/json' }));
  const file = `${r.id.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp(new Date())}.cpuprofile`;
  const hot = r.hottest;
  replace(
    panel,
    h('h3', {}, `Profile of plugin "${r.id}"`),
    h(
      'p',
      { class: 'profile-share' },
      `${percent(r.share)} of ${count(r.samples)} samples in ${duration(r.durationMs)} were the plugin's (${count(r.pluginSamples)}).`,
    ),
    h(
      'p',
      { class: 'profile-hottest' },
      hot
        ? `Hottest: ${hot.functionName} at ${hot.file}:${hot.line} (${count(hot.samples)} samples).`
        : 'Hottest: none: the plugin did not run while it was profiled.',
    ),
    h('a', { class: 'action', href: objectUrl, download: file }, 'Download .cpuprofile'),
    h('span', { class: 'muted' }, ' open it in Chrome DevTools (Performance) or VS Code'),
  );
}

/**
 * Profile plugin `id` for the seconds in `input`, into `panel`; `changed()` re-renders the table
 * (the buttons are disabled while a profile runs).
 */
export async function profilePlugin(id, input, panel, changed) {
  if (running !== undefined) return;
  const seconds = Number(input.value);
  if (!Number.isInteger(seconds) || seconds < SECONDS.min || seconds > SECONDS.max) {
    toast(
      `The profile's length must be a whole number of seconds from ${SECONDS.min} to ${SECONDS.max}.`,
      'error',
    );
    input.focus();
    return;
  }
  const ok = await confirmAction(
    'Profile plugin',
    `Take a CPU profile of the host's thread for ${seconds} s and blame its samples on plugin "${id}"? Sampling costs the host a little while it runs.`,
    'Profile',
  );
  if (!ok) return;
  running = id;
  changed();
  const started = Date.now();
  const total = seconds * 1000;
  const bar = h('progress', { max: String(total), value: '0', 'aria-label': `Profiling plugin ${id}` });
  const left = h('span', { class: 'muted' }, `${seconds} s left`);
  panel.hidden = false;
  panel.setAttribute('aria-busy', 'true');
  replace(panel, h('h3', {}, `Profiling plugin "${id}" for ${seconds} s…`), bar, ' ', left);
  const tick = page.setInterval(() => {
    const ms = Math.min(Date.now() - started, total);
    bar.value = ms;
    left.textContent = ms >= total ? 'attributing the samples…' : `${Math.ceil((total - ms) / 1000)} s left`;
  }, 250);
  try {
    const r = await postJson(`/api/plugins/${seg(id)}/profile?seconds=${seconds}`, {});
    showResult(panel, r);
    toast(`Profile of "${id}": ${percent(r.share)} of the samples.`, 'ok');
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    const why =
      error instanceof ApiError && error.status === 409
        ? 'The profiler is busy'
        : error instanceof ApiError && error.status === 404
          ? 'Not found'
          : 'Refused';
    replace(
      panel,
      h('h3', {}, `No profile of plugin "${id}"`),
      h('p', { class: 'error-text', role: 'alert' }, `${why}: ${message}`),
    );
    toast(message, 'error');
  } finally {
    tick.release();
    panel.removeAttribute('aria-busy');
    running = undefined;
    changed();
  }
}
