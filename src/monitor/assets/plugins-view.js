// The Plugins tab: every plugin with state, isolation, dependencies and start-up timings, and
// the reload and unload actions.
import { h, keepFocus, replace } from './dom.js';
import { duration } from './format.js';

/** Render `plugins` (from the snapshot). `actions` has reload(id), unload(id), showComponent(id). */
export function renderPlugins(tbody, plugins, actions) {
  if (plugins.length === 0) {
    replace(
      tbody,
      h('tr', {}, h('td', { colspan: '9', class: 'empty' }, 'No plugins are known to the host.')),
    );
    return;
  }
  keepFocus(tbody, () =>
    replace(
      tbody,
      plugins.map((p) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            h('strong', {}, p.name),
            p.name !== p.id ? h('div', { class: 'muted' }, p.id) : null,
            p.error ? h('div', { class: 'error-text' }, p.error) : null,
          ),
          h('td', {}, p.version),
          h('td', {}, h('span', { class: `badge state-${p.state}` }, p.state)),
          h('td', {}, p.isolation),
          h('td', {}, p.dependencies.length ? p.dependencies.join(', ') : 'none'),
          h('td', { class: 'num' }, p.loadMs === undefined ? 'not measured' : duration(p.loadMs)),
          h('td', { class: 'num' }, p.activateMs === undefined ? 'not measured' : duration(p.activateMs)),
          h(
            'td',
            {},
            p.component
              ? h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => actions.showComponent(p.component) },
                  p.component,
                )
              : 'none',
          ),
          h(
            'td',
            {},
            h(
              'div',
              { class: 'buttons' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'action',
                  dataset: { key: `${p.id}:reload` },
                  onclick: () => actions.reload(p.id),
                },
                'Reload…',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'action danger',
                  dataset: { key: `${p.id}:unload` },
                  onclick: () => actions.unload(p.id),
                },
                'Unload…',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
