// The Leaks tab: every leak finding since the monitor started, newest first — kind, component,
// when, what, the resource concerned — with the evidence a fix needs: where the leaked thing was
// created (creation stack), what keeps it alive (retainer path) and how much it keeps (retained
// size). The last two come from leak forensics; until a reporter fills them in, they say so.
import { h, keepFocus, replace } from './dom.js';
import { bytes, clock, count, plural } from './format.js';

const KIND_HELP = {
  'owner-collected':
    'its owner object was garbage-collected without cleanup (the component was cleaned up then)',
  'use-after-cleanup': 'something was tracked into it after its cleanup started',
  'long-lived': 'a resource outlived leakTracking.maxResourceAgeMs',
  'untracked-handle': 'a handle its code created without tracking it was still open at cleanup',
  'retained-after-unload':
    'an object of the unloaded plugin (its ctx, a closure, a module cache) is still reachable: the path shows who holds it',
  'disposed-but-reachable':
    'a value Steward disposed at cleanup is still referenced (kept in a map, a list, a closure)',
};

function stackBlock(stack) {
  if (!stack)
    return h('p', { class: 'muted' }, 'Creation stack: not recorded (enable leakTracking or attribution).');
  const first =
    stack
      .split('\n')
      .find((line) => /^\s*at /.test(line))
      ?.trim() ?? stack.split('\n')[0];
  return h(
    'details',
    {},
    h('summary', {}, 'Created at ', h('code', {}, first.replace(/^at\s+/, ''))),
    h('pre', {}, stack),
  );
}

function retainers(path) {
  if (!path || path.length === 0) {
    return h(
      'p',
      { class: 'muted' },
      'Retainer path: not recorded (leak forensics takes a heap snapshot to find it).',
    );
  }
  return h(
    'div',
    {},
    h('div', { class: 'muted' }, 'Retained by (from a GC root):'),
    h(
      'ol',
      { class: 'retainers' },
      path.map((step) => h('li', {}, h('code', {}, step))),
    ),
  );
}

/** Render `data` (GET /api/leaks) into `container`; `kind` filters; `actions.showComponent(id)`. */
export function renderLeaks(container, countLabel, data, kind, actions, reported = data.total) {
  const byKind = new Map();
  for (const f of data.findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  countLabel.textContent =
    data.total === 0
      ? 'No leak found since the monitor started.'
      : `${plural(data.total, 'finding')} since the monitor started` +
        (data.total > data.findings.length ? ` (the newest ${count(data.findings.length)} kept)` : '') +
        `: ${[...byKind].map(([k, n]) => `${count(n)} ${k}`).join(', ')}`;
  if (reported > data.total) {
    countLabel.textContent += ` ${plural(reported - data.total, 'earlier leak was', 'earlier leaks were')} reported before the monitor started (counted, not detailed).`;
  }
  const shown = data.findings.filter((f) => !kind || f.kind === kind);
  keepFocus(container, () =>
    replace(
      container,
      shown.length === 0
        ? h(
            'p',
            { class: 'empty-note' },
            data.total === 0 ? 'Nothing leaked so far.' : 'No finding of this kind.',
          )
        : shown.map((f) =>
            h(
              'article',
              { class: 'leak', dataset: { finding: String(f.id) } },
              h(
                'header',
                { class: 'leak-head' },
                h('span', { class: 'badge state-failed' }, f.kind),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    dataset: { key: `leak:${f.id}` },
                    onclick: () => actions.showComponent(f.component),
                  },
                  f.component,
                ),
                h('span', { class: 'muted' }, f.componentType),
                h('time', { datetime: new Date(f.at).toISOString() }, clock(f.at)),
              ),
              h('p', { class: 'leak-message' }, f.message),
              KIND_HELP[f.kind] ? h('p', { class: 'muted' }, `Means: ${KIND_HELP[f.kind]}.`) : null,
              h(
                'dl',
                { class: 'facts' },
                h('dt', {}, 'Resource'),
                h(
                  'dd',
                  {},
                  f.resource ? `${f.resource.type} #${f.resource.id} (${bytes(f.resource.size)})` : 'none',
                ),
                ...(f.plugin ? [h('dt', {}, 'Plugin'), h('dd', {}, f.plugin)] : []),
                ...(f.holder ? [h('dt', {}, 'Held by'), h('dd', {}, h('code', {}, f.holder))] : []),
                ...(f.count > 1 ? [h('dt', {}, 'Same path'), h('dd', {}, `${count(f.count)} objects`)] : []),
                h('dt', {}, 'Retained size'),
                h(
                  'dd',
                  {},
                  f.retainedBytes === undefined
                    ? h('span', { class: 'muted' }, 'not measured')
                    : bytes(f.retainedBytes),
                ),
              ),
              stackBlock(f.stack),
              retainers(f.retainerPath),
            ),
          ),
    ),
  );
}
