// The bridge from the page to the host: the page posts its components and their resources
// (app/bridge.js) and this mirror keeps one host component per page component under
// `window/page`, with one record per page resource (same type and size, nothing to dispose:
// the page owns the real thing). The monitor therefore shows the page's tabs, their listeners,
// object URLs and workers, and sees them go when the user closes a tab. Detached-element
// findings the page reports are logged once each.
//
// The page says when it goes (a beacon on pagehide); a page silent for STALE_MS is dropped too.

const STALE_MS = 30_000;
const MAX_COMPONENTS = 500;
const MAX_RESOURCES = 20_000;

function bad(message) {
  return Object.assign(new Error(`mirror update: ${message}`), { status: 400 });
}

/** Check the shape of a page update; throws a 400 error naming what is wrong. */
function validate(update) {
  if (update === null || typeof update !== 'object' || !Array.isArray(update.components)) {
    throw bad('expected { components: [...], findings: [...] }');
  }
  if (update.components.length > MAX_COMPONENTS) throw bad(`more than ${MAX_COMPONENTS} components`);
  let resources = 0;
  for (const c of update.components) {
    if (
      typeof c?.id !== 'string' ||
      c.id === '' ||
      typeof c.type !== 'string' ||
      !Array.isArray(c.resources)
    ) {
      throw bad('each component needs an id, a type and resources');
    }
    resources += c.resources.length;
    for (const r of c.resources) {
      if (
        !Number.isInteger(r?.id) ||
        typeof r.type !== 'string' ||
        !(r.size >= 0 && Number.isFinite(r.size))
      ) {
        throw bad(`component "${c.id}": each resource needs an integer id, a type and a size >= 0`);
      }
    }
  }
  if (resources > MAX_RESOURCES) throw bad(`more than ${MAX_RESOURCES} resources`);
  if (update.findings !== undefined && !Array.isArray(update.findings))
    throw bad('findings must be an array');
}

/** Mirrors the page's components into the plugin's component. */
export class PageMirror {
  #ctx;
  /** The `window/page` component and its owner, while a page is connected. */
  #page;
  /** page component id → { component, owner, records: Map<resource id, handle> } */
  #mirrored = new Map();
  #reported = new Set();
  #stale;
  #updates = 0;

  constructor(ctx) {
    this.#ctx = ctx;
  }

  /** Apply a page update (the page's whole state: what is missing from it is gone). */
  update(update) {
    validate(update);
    this.#updates++;
    this.#stale?.release();
    this.#stale = this.#ctx.setTimeout(() => this.clear('page silent'), STALE_MS);
    const page = this.#ensurePage();
    const seen = new Set(update.components.map((c) => c.id));
    for (const [id, entry] of this.#mirrored) {
      if (!seen.has(id)) this.#drop(id, entry);
    }
    // Parents arrive before their children (the page lists them in registration order).
    for (const c of update.components) {
      let entry = this.#mirrored.get(c.id);
      if (entry === undefined) {
        const parent = (c.parent && this.#mirrored.get(c.parent)?.component) ?? page.component;
        const owner = { pageComponent: c.id };
        const component = this.#ctx.component.manager.register(owner, `window/page/${c.id}`, {
          type: c.type,
          parent,
          state: 'active',
          metadata: { mirror: 'browser page', pageId: c.id },
        });
        entry = { component, owner, records: new Map() };
        this.#mirrored.set(c.id, entry);
      }
      this.#sync(entry, c.resources);
    }
    for (const finding of update.findings ?? []) {
      const key = `${finding.component}\u0000${finding.message}`;
      if (this.#reported.has(key)) continue;
      this.#reported.add(key);
      this.#ctx.log.warn(`page: ${finding.message}`);
    }
  }

  /** Forget the page (it closed or went silent): every mirrored component is cleaned up. */
  clear(reason) {
    const page = this.#page;
    if (page === undefined) return;
    this.#page = undefined;
    this.#mirrored.clear();
    this.#stale?.release();
    this.#stale = undefined;
    void page.component.cleanup({ force: true, reason });
  }

  /** What is mirrored now. */
  status() {
    let resources = 0;
    for (const { records } of this.#mirrored.values()) resources += records.size;
    return {
      connected: this.#page !== undefined,
      updates: this.#updates,
      components: [...this.#mirrored.keys()],
      resources,
      findings: this.#reported.size,
    };
  }

  #ensurePage() {
    if (this.#page === undefined) {
      const owner = { page: true };
      const component = this.#ctx.component.manager.register(owner, 'window/page', {
        type: 'page',
        parent: this.#ctx.component,
        state: 'active',
        metadata: { mirror: 'browser page' },
      });
      this.#page = { component, owner };
    }
    return this.#page;
  }

  #drop(id, entry) {
    this.#mirrored.delete(id);
    if (!entry.component.disposed)
      void entry.component.cleanup({ force: true, reason: 'closed in the page' });
  }

  #sync(entry, resources) {
    const seen = new Set();
    for (const r of resources) {
      seen.add(r.id);
      const held = entry.records.get(r.id);
      if (held === undefined) {
        entry.records.set(
          r.id,
          entry.component.track({ pageResource: r.id }, { type: r.type, size: r.size, dispose: null }),
        );
      } else if (held.size !== r.size) held.resize(r.size);
    }
    for (const [id, handle] of entry.records) {
      if (!seen.has(id)) {
        handle.release();
        entry.records.delete(id);
      }
    }
  }
}
