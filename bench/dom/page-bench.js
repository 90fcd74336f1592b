// The page side of the dom benchmark (bench/dom.bench.ts): runs in Chromium, loaded from the
// bench's page server with `steward` and `steward/dom` from dist/. Each function returns raw
// samples; the parent computes medians. Modes alternate order every round. No forced collection
// between batches: `gc()` (--expose-gc) also drops V8's optimized code and feedback, so the
// JavaScript after it runs cold (measured: `track` 0.1 µs warm, 0.7–1.3 µs after each `gc()`)
// while the browser's C++ does not care — it would measure the flag, not the ledger.
import { ResourceManager } from 'steward';
import { domLedger } from 'steward/dom';

const noop = () => {};
/**
 * A task boundary between batches, as between a user's clicks: a WeakRef keeps its target alive
 * until the task that made it ends, so one task running every batch would hoard every closed
 * tab's DOM and bill the collections to the ledger with detection on.
 */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
let ids = 0;

/** ns per listener added (and removed) on `n` fresh elements, native with one AbortSignal vs the ledger. */
export async function listenBench({ n, rounds, warmup }) {
  const manager = new ResourceManager();
  const out = { nativeAdd: [], nativeRemove: [], stewardAdd: [], stewardRemove: [], plainAdd: [] };
  for (let round = 0; round < warmup + rounds; round++) {
    const order = round % 2 ? ['steward', 'native', 'plain'] : ['native', 'plain', 'steward'];
    for (const mode of order) {
      await nextTask();
      const targets = Array.from({ length: n }, () => document.createElement('div'));
      let add;
      let remove;
      if (mode === 'native') {
        const controller = new AbortController();
        const options = { signal: controller.signal };
        const t0 = performance.now();
        for (let i = 0; i < n; i++) targets[i].addEventListener('click', noop, options);
        const t1 = performance.now();
        controller.abort();
        add = t1 - t0;
        remove = performance.now() - t1;
      } else if (mode === 'plain') {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) targets[i].addEventListener('click', noop);
        add = performance.now() - t0;
        for (let i = 0; i < n; i++) targets[i].removeEventListener('click', noop);
      } else {
        const owner = {};
        const tab = domLedger(manager.register(owner, `tab-${ids++}`));
        const t0 = performance.now();
        for (let i = 0; i < n; i++) tab.listen(targets[i], 'click', noop);
        const t1 = performance.now();
        await tab.cleanup();
        void owner; // held until cleanup: a collected owner would clean the tab up itself
        add = t1 - t0;
        remove = performance.now() - t1;
      }
      if (round < warmup) continue;
      out[`${mode}Add`].push((add / n) * 1e6);
      if (remove !== undefined && mode !== 'plain') out[`${mode}Remove`].push((remove / n) * 1e6);
    }
  }
  return out;
}

function buildTab(listeners, observed) {
  const section = document.createElement('section');
  section.className = 'bench-tab';
  for (let i = 0; i < listeners; i++) section.appendChild(document.createElement('button'));
  for (let i = 0; i < observed; i++) section.appendChild(document.createElement('div'));
  return section;
}

/**
 * µs per tab opened and per tab closed: a section with `listeners` buttons, one listener each, and
 * `observers` ResizeObservers on its divs. Hand-written (one AbortController, disconnect and
 * remove at close) vs the ledger (with and without detached-element detection).
 */
export async function tabBench({ listeners, observers, batch, rounds, warmup }) {
  const manager = new ResourceManager();
  const app = document.getElementById('app');
  const modes = ['manual', 'steward', 'stewardNoDetect'];
  const out = Object.fromEntries(
    modes.flatMap((m) => [
      [`${m}Open`, []],
      [`${m}Close`, []],
    ]),
  );
  for (let round = 0; round < warmup + rounds; round++) {
    const order = round % 2 ? [...modes].reverse() : modes;
    for (const mode of order) {
      await nextTask();
      const tabs = [];
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) {
        const section = buildTab(listeners, observers);
        const buttons = section.getElementsByTagName('button');
        const divs = section.getElementsByTagName('div');
        if (mode === 'manual') {
          const controller = new AbortController();
          const options = { signal: controller.signal };
          app.appendChild(section);
          for (let i = 0; i < listeners; i++) buttons[i].addEventListener('click', noop, options);
          const list = [];
          for (let i = 0; i < observers; i++) {
            const o = new ResizeObserver(noop);
            o.observe(divs[i]);
            list.push(o);
          }
          tabs.push({ controller, observers: list, section });
        } else {
          const owner = { section }; // the application's tab object, held until close
          const tab = domLedger(manager.register(owner, `tab-${ids++}`, { type: 'tab' }), {
            detectDetached: mode === 'steward',
          });
          tab.owner = owner;
          tab.mount(section, app);
          for (let i = 0; i < listeners; i++) tab.listen(buttons[i], 'click', noop);
          for (let i = 0; i < observers; i++) tab.observeResize(divs[i], noop);
          tabs.push(tab);
        }
      }
      const t1 = performance.now();
      for (const tab of tabs) {
        if (mode === 'manual') {
          tab.controller.abort();
          for (const o of tab.observers) o.disconnect();
          tab.section.remove();
        } else await tab.cleanup();
      }
      const t2 = performance.now();
      if (round < warmup) continue;
      out[`${mode}Open`].push(((t1 - t0) / batch) * 1000);
      out[`${mode}Close`].push(((t2 - t1) / batch) * 1000);
    }
  }
  return out;
}
