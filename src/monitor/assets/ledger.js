// The dashboard's own resources, owned with Steward in the browser (steward/dom, served by the
// monitor under /steward/). The page is a component; the live event stream and the view on screen
// are its children. Showing another view cleans the previous one up (its listeners and its
// polling go with it); leaving the page disposes the whole manager, so the event stream closes and
// no timer keeps polling a monitor nobody looks at. The manager is exported for a look from the
// browser's console: `(await import('/assets/ledger.js')).manager.snapshot()`.
import { ResourceManager } from '/steward/core/index.js';
import { domLedger } from '/steward/dom/index.js';

/** The dashboard's own resource manager. */
export const manager = new ResourceManager();

/**
 * The page's ledger: the tabs' and header's listeners, the slow poll, the toast's timer. No owner
 * object: the manager holds the component until the page is left (a module-level owner nothing
 * refers to could be collected soon after the module runs, and its component with it).
 */
export const page = domLedger(manager.register('dashboard', { type: 'page' }));

let stream;
/**
 * A fresh ledger for the event stream (`dashboard/stream`), after cleaning up the previous one:
 * its `EventSource` is closed and its listeners removed before the new one opens.
 */
export function streamLedger() {
  stream?.cleanup().catch(reportError);
  stream = page.child('dashboard/stream', { type: 'stream' });
  return stream;
}

let view;
/**
 * The ledger of view `name` (`dashboard/view/<name>`). Asking for another view cleans the
 * current one up first; asking for the one on screen returns its ledger as it is.
 */
export function viewLedger(name) {
  if (view?.name === name) return view.ledger;
  view?.ledger.cleanup().catch(reportError);
  view = { name, ledger: page.child(`dashboard/view/${name}`, { type: 'view' }) };
  return view.ledger;
}

// Leaving the page releases everything. A page restored from the back/forward cache has lost
// its stream and timers: start it afresh.
page.listen(window, 'pagehide', () => {
  manager.dispose({ force: true }).catch(reportError);
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});
