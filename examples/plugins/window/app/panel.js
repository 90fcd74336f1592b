// The in-page panel: every component of the page's manager (parents first) with its state,
// resources by type and memory; the totals; how many removed elements still wait for a garbage
// collection; and the detached-element findings.
import { pendingDetached } from 'steward/dom';

const kib = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(n < 10 * 1024 ? 2 : 1)} KiB`);
const text = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export class Panel {
  #main;
  #root;
  #pending = -1;

  constructor(main, root) {
    this.#main = main;
    this.#root = root;
  }

  /** Whether the number of elements waiting for collection changed since the last render. */
  pendingChanged() {
    return pendingDetached(this.#main.manager) !== this.#pending;
  }

  render() {
    const { manager, findings } = this.#main;
    const snapshot = manager.snapshot();
    this.#pending = pendingDetached(manager);
    const children = new Map();
    for (const c of snapshot.components) {
      const list = children.get(c.parent) ?? [];
      list.push(c);
      children.set(c.parent, list);
    }
    const item = (c) => {
      const types = Object.entries(c.byType)
        .map(([type, t]) => `${t.count} ${type}`)
        .join(', ');
      const kids = children.get(c.id) ?? [];
      return (
        `<li data-component="${text(c.id)}" data-resources="${c.resources}" data-bytes="${c.subtreeBytes}">` +
        `<b>${text(c.id)}</b> <small>${text(c.type)} · ${text(c.state)}</small> — ${c.resources} resource(s), ${kib(c.subtreeBytes)}` +
        (types ? `<div class="types">${text(types)}</div>` : '') +
        (kids.length ? `<ul>${kids.map(item).join('')}</ul>` : '') +
        '</li>'
      );
    };
    const s = snapshot.stats;
    this.#root.innerHTML =
      '<h2>Resources</h2>' +
      `<p class="totals" id="totals" data-components="${s.components}" data-resources="${s.activeResources}" data-bytes="${s.totalBytes}">` +
      `${s.components} component(s) · ${s.activeResources} resource(s) · ${kib(s.totalBytes)}</p>` +
      `<ul id="components">${(children.get(undefined) ?? []).map(item).join('')}</ul>` +
      `<p id="pending" data-pending="${this.#pending}"><small>${this.#pending} removed element(s) waiting for a garbage collection. ` +
      'Findings appear once the browser has run its full collections (DevTools → Memory → “Collect garbage” forces one).</small></p>' +
      `<h2>Leaks</h2><div id="findings" data-count="${findings.length}">` +
      (findings.length
        ? findings
            .map((f) => `<p class="finding" data-component="${text(f.component)}">${text(f.message)}</p>`)
            .join('')
        : '<p><small>None found.</small></p>') +
      '</div>';
  }
}
