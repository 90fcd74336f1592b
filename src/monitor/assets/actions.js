// The dashboard's actions, each behind a confirmation: clean up, pause or resume a component;
// reload or unload a plugin; run a leak check. Each reports its outcome in a toast whose style
// matches it (a reload that ends with the plugin failed is an error, not a success).
import { ApiError, postJson, seg } from './api.js';
import { confirmAction, toast } from './confirm.js';
import { bytes, count, duration, plural } from './format.js';

function describeCleanup(r) {
  const failures = r.failed.length + r.abandoned.length;
  const text =
    `Cleaned up ${plural(r.components.length, 'component')}` +
    (r.deactivated?.length
      ? ` (plugin${r.deactivated.length === 1 ? '' : 's'} ${r.deactivated.join(', ')} deactivated)`
      : '') +
    `: ${count(r.released)} released, ${count(r.failed.length)} failed, ${count(r.abandoned.length)} abandoned in ${duration(r.durationMs)}.` +
    (r.failed.length ? ` First failure: ${r.failed[0].error}` : '');
  return [text, failures ? 'error' : 'ok'];
}

function describePlugin(verb, r) {
  const state = r.plugin?.state;
  if (state === 'failed')
    return [`${verb} of plugin "${r.id}" failed: ${r.plugin.error ?? 'see the event log'}`, 'error'];
  if (state === 'blocked')
    return [
      `Plugin "${r.id}" is blocked after the ${verb.toLowerCase()}: it needs ${r.plugin.blockedBy ?? 'a dependency'}.`,
      'warn',
    ];
  const past = verb === 'Reload' ? 'reloaded' : 'unloaded';
  return [
    `Plugin "${r.id}" ${past}${state && state !== past && state !== 'active' ? `; it is ${state}` : ''}.`,
    'ok',
  ];
}

/**
 * The actions, bound to `view`: `component(id)` (from the snapshot), `owner(id)` (the plugin
 * owning a component), `subtreeCount(id)`, `refresh()`, `show(tab, select?)`.
 */
export function createActions(view) {
  async function act(title, question, label, path, describe) {
    if (!(await confirmAction(title, question, label))) return;
    try {
      const [message, kind] = describe(await postJson(path, {}));
      toast(message, kind);
    } catch (error) {
      toast(error instanceof ApiError ? error.message : String(error), 'error');
    }
    await view.refresh();
  }
  return {
    cleanup(id) {
      const c = view.component(id);
      const descendants = view.subtreeCount(id) - 1;
      const owner = view.owner(id);
      return act(
        'Clean up component',
        `Clean up "${id}"? Its ${plural(c?.resources ?? 0, 'resource')}` +
          (descendants > 0 ? ` and ${plural(descendants, 'descendant component')}` : '') +
          ` (${bytes(c?.subtreeBytes ?? 0)}) will be released and the component destroyed.` +
          (owner
            ? ` It is plugin "${owner.id}"'s component: the plugin (and any plugin depending on it) is deactivated through its host; Reload brings it back.`
            : ' This cannot be undone.'),
        'Clean up',
        `/api/components/${seg(id)}/cleanup`,
        describeCleanup,
      );
    },
    pause(id) {
      return act(
        'Pause component',
        `Pause "${id}" (state active → paused)?`,
        'Pause',
        `/api/components/${seg(id)}/pause`,
        (r) => [`"${r.id}" is now ${r.state}.`, 'ok'],
      );
    },
    resume(id) {
      return act(
        'Resume component',
        `Resume "${id}" (state paused → active)?`,
        'Resume',
        `/api/components/${seg(id)}/resume`,
        (r) => [`"${r.id}" is now ${r.state}.`, 'ok'],
      );
    },
    reload(id) {
      return act(
        'Reload plugin',
        `Reload plugin "${id}"? It is deactivated (plugins depending on it first), its resources released, and loaded again.`,
        'Reload',
        `/api/plugins/${seg(id)}/reload`,
        (r) => describePlugin('Reload', r),
      );
    },
    unload(id) {
      return act(
        'Unload plugin',
        `Unload plugin "${id}"? It is deactivated (plugins depending on it first) and its resources released.`,
        'Unload',
        `/api/plugins/${seg(id)}/unload`,
        (r) => describePlugin('Unload', r),
      );
    },
    leakCheck() {
      return act(
        'Run leak check',
        'Look for leaks now? Components whose owner was garbage-collected without cleanup are cleaned up; long-lived resources are reported.',
        'Run leak check',
        '/api/leaks/check',
        (r) =>
          r.findings.length === 0
            ? ['Leak check: nothing found.', 'ok']
            : [
                `Leak check: ${plural(r.findings.length, 'finding')}. ${r.findings.map((f) => f.message).join(' ')}`,
                'error',
              ],
      );
    },
    measureMemory() {
      return act(
        'Measure plugin memory',
        'Measure the bytes each inline plugin retains? It takes a heap snapshot: the process pauses for a moment (about a second per 100 MB of heap).',
        'Measure',
        '/api/plugins/memory',
        (r) => [
          `Retained: ${r.plugins.map((p) => `${p.id} ${bytes(p.retainedBytes)}`).join(', ') || 'no inline plugin loaded'}.`,
          'ok',
        ],
      );
    },
    showResources(id) {
      view.show('resources', { resourceComponent: id });
    },
    showComponent(id) {
      view.show('components', { selected: id });
    },
    showPlugins() {
      view.show('plugins');
    },
  };
}
