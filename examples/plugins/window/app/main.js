// The main window: a ResourceManager of the page, the window's own component, and one child
// component per open tab. Every tab gets a ledger (steward/dom): its tab button, its view, its
// listeners, timers, worker and object URLs are tracked against it, so closing the tab is one
// cleanup() — nothing else to remember. The panel on the right shows the manager's state; the
// bridge mirrors it into the plugin, so the monitor shows it too.
//
// "Leaky tabs" makes every tab opened afterwards forget one listener on window (added without
// the ledger) that holds the tab's view: after the tab closes, its DOM cannot be collected, and
// Steward reports a detached-element finding once the browser has run its full collections.
import { ResourceManager } from 'steward';
import { domLedger } from 'steward/dom';
import { startBridge } from './bridge.js';
import { Panel } from './panel.js';
import { openExample } from './tabs/example.js';
import { openForensic } from './tabs/forensic.js';
import { openMediaAnalysis } from './tabs/media-analysis.js';

const TABS = {
  'media-analysis': { title: 'Media analysis', open: openMediaAnalysis },
  forensic: { title: 'Forensic', open: openForensic },
  example: { title: 'Example', open: openExample },
};

/** How often the panel and the bridge look at the manager (one interval, nothing per event). */
const REFRESH_MS = 250;

class MainWindow {
  manager = new ResourceManager({ leakTracking: true });
  /** Open tabs: id → ledger, in opening order. */
  tabs = new Map();
  /** Detached-element findings, newest last. */
  findings = [];
  #opened = 0;
  #selected;
  #dirty = true;

  constructor() {
    this.component = this.manager.register(this, 'main-window', { type: 'window', state: 'active' });
    this.ui = domLedger(this.component);
    this.strip = document.getElementById('tab-strip');
    this.content = document.getElementById('tab-content');
    this.leaky = document.getElementById('leaky');
    for (const button of document.querySelectorAll('[data-open]')) {
      this.ui.listen(button, 'click', () => this.open(button.dataset.open));
    }
    const changed = () => (this.#dirty = true);
    for (const name of ['registered', 'tracked', 'released', 'resized', 'cleanupFinished']) {
      this.ui.track(this.manager.on(name, changed), { type: 'subscription' });
    }
    this.ui.track(
      this.manager.on('leakDetected', (e) => {
        if (e.kind === 'detached-element')
          this.findings.push({ component: e.component.id, message: e.message });
        changed();
      }),
      { type: 'subscription' },
    );
    this.panel = new Panel(this, document.getElementById('panel'));
    this.bridge = startBridge(this);
    this.ui.setInterval(() => this.#refresh(), REFRESH_MS);
    this.#refresh();
  }

  /** Open a tab of `kind`; returns its id (`media-analysis#1`…). */
  open(kind) {
    const spec = TABS[kind];
    if (!spec) throw new Error(`unknown tab kind "${kind}"`);
    const id = `${kind}#${++this.#opened}`;
    const tab = this.ui.child(id, { type: 'tab', state: 'active', metadata: { title: spec.title } });
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'tab');
    button.dataset.tab = id;
    button.innerHTML = `<span></span><span class="close" role="button" aria-label="Close ${id}" title="Close">×</span>`;
    button.firstChild.textContent = `${spec.title} ${this.#opened}`;
    const view = document.createElement('section');
    view.className = `tab-view ${kind}`;
    view.id = `view-${kind}-${this.#opened}`;
    view.dataset.tab = id;
    // The tab's own elements: removed when it closes, then watched until they are collected.
    tab.mount(button, this.strip);
    tab.mount(view, this.content);
    tab.listen(button, 'click', () => this.select(id));
    tab.listen(button.lastChild, 'click', (event) => {
      event.stopPropagation();
      void this.close(id);
    });
    this.tabs.set(id, tab);
    spec.open({ tab, view, window: this });
    if (this.leaky.checked) {
      // The deliberate leak: a listener on window added without the ledger, holding the view.
      window.addEventListener('resize', () => {
        view.dataset.width = String(innerWidth);
      });
    }
    this.select(id);
    return id;
  }

  /** Close tab `id`: one cleanup releases everything it held. Resolves with the cleanup report. */
  async close(id) {
    const tab = this.tabs.get(id);
    if (!tab) return undefined;
    this.tabs.delete(id);
    const report = await tab.cleanup({ force: true, reason: 'tab closed' });
    if (this.#selected === id) this.select([...this.tabs.keys()].at(-1));
    return report;
  }

  select(id) {
    this.#selected = id;
    for (const tab of this.strip.children) tab.setAttribute('aria-selected', String(tab.dataset.tab === id));
    for (const view of this.content.querySelectorAll('.tab-view')) view.hidden = view.dataset.tab !== id;
    this.content.querySelector('.empty')?.toggleAttribute('hidden', this.tabs.size > 0);
  }

  #refresh() {
    const pending = this.panel.pendingChanged();
    if (!this.#dirty && !pending) return;
    this.#dirty = false;
    this.panel.render();
    this.bridge.post();
  }
}

// For tests and the console: the window and its manager.
globalThis.mainWindow = new MainWindow();
