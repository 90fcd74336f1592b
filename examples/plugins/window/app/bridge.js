// The bridge to the plugin: the page's components and resources (and detached-element
// findings) are posted to /api/mirror when they change and every few seconds, and the plugin
// mirrors them into the host's manager, where the monitor shows them. On pagehide a beacon tells
// the plugin the page is gone.

const HEARTBEAT_MS = 5000;

export function startBridge(main) {
  const { ui, manager } = main;
  let last = 0;
  let inFlight = false;
  let again = false;
  const post = () => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    last = Date.now();
    const components = manager.components().map((c) => ({
      id: c.id,
      type: c.type,
      ...(c.parent ? { parent: c.parent.id } : {}),
      resources: c.resources().map((r) => ({ id: r.id, type: r.type, size: r.size })),
    }));
    fetch('/api/mirror', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ components, findings: main.findings }),
      signal: ui.signal,
    })
      .catch(() => {}) // the plugin may be gone (unloaded); the page keeps working
      .finally(() => {
        inFlight = false;
        if (again && !ui.disposed) {
          again = false;
          post();
        }
      });
  };
  ui.setInterval(() => Date.now() - last >= HEARTBEAT_MS && post(), HEARTBEAT_MS);
  ui.listen(window, 'pagehide', () => navigator.sendBeacon('/api/mirror/close'));
  return { post };
}
