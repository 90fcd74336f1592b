// The brief's MediaAnalysisTab in the browser. A run is a child component of the tab with an
// `evict` memory limit: its Web Worker reads the photos' EXIF, and every thumbnail becomes an
// object URL tracked against the run with the thumbnail's size, evictable — least recently used
// first when the limit is reached (showing one marks it as used). The GPS positions are plotted
// with the Node plugin's own SVG plot. Cancelling, a new run, or closing the tab terminates the
// worker mid-run and revokes every thumbnail URL: one cleanup() each.
import { gpsPlot } from '/shared/media-page.js';

const DEFAULT_LIMIT = 4096; // below the samples' 6,309 B of thumbnails: the tab shows eviction
const esc = (s) =>
  String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function openMediaAnalysis({ tab, view }) {
  view.innerHTML = `
    <h2>Media analysis</h2>
    <form class="run">
      <label>Thumbnail limit (bytes) <input name="limit" type="number" min="0" value="${DEFAULT_LIMIT}"></label>
      <label>Pause per file (ms) <input name="delay" type="number" min="0" value="150"></label>
      <button>Analyse</button> <button type="button" class="cancel" disabled>Cancel</button>
    </form>
    <p class="status">No analysis yet.</p>
    <table><thead><tr><th>#</th><th>File</th><th>Camera</th><th>Taken</th><th>Thumbnail</th><th>Problem</th></tr></thead><tbody></tbody></table>
    <h3>GPS positions</h3><div class="map"></div>`;
  const form = view.querySelector('form');
  const cancelButton = view.querySelector('.cancel');
  const status = view.querySelector('.status');
  const rows = view.querySelector('tbody');
  const map = view.querySelector('.map');
  /** The latest run (its thumbnails stay until the next run or the tab's close) and whether it runs. */
  let run;
  let running = false;
  let runs = 0;

  let plotted = { width: 0, points: -1 };
  const plot = (results) => {
    const width = Math.max(240, Math.min(560, Math.floor(map.clientWidth || 560)));
    if (width === plotted.width && results.length === plotted.points) return; // a resize of its own height
    plotted = { width, points: results.length };
    map.innerHTML = gpsPlot(results, { width, height: Math.round(width * 0.62) });
  };

  async function start() {
    await stop(false);
    const limit = Number(form.elements.limit.value);
    const delayMs = Number(form.elements.delay.value);
    const id = `${tab.component.id}/run-${++runs}`;
    const current = tab.child(id, {
      type: 'run',
      state: 'active',
      memoryLimit: { bytes: limit, policy: 'evict' },
    });
    run = current;
    running = true;
    rows.textContent = '';
    const results = [];
    const images = new Map(); // object URL → its cell
    let evicted = 0;
    current.track(
      current.manager.on('released', ({ component, resource, reason }) => {
        if (component !== current.component || reason !== 'evicted') return;
        const cell = images.get(resource.value);
        evicted++;
        cell?.classList.add('evicted');
        cell?.insertAdjacentHTML('beforeend', '<br><span class="note">evicted</span>');
      }),
      { type: 'subscription' },
    );
    current.observeResize(map, () => plot(results));
    const show = () =>
      (status.textContent =
        `${running && current === run ? 'Running' : 'Done'}: ${results.length} file(s); ` +
        `${current.component.resourceCount} resource(s), thumbnails ${current.component.bytes} B of ${limit} B, ${evicted} evicted; ` +
        `${results.filter((r) => r.latitude !== null).length} GPS point(s).`);
    const files = await (await fetch('/api/photos', { signal: current.signal })).json();
    const worker = current.worker('/app/tabs/exif-worker.js', { type: 'module', name: id });
    cancelButton.disabled = false;
    current.listen(worker, 'message', ({ data }) => {
      if (data.type === 'done') {
        current.release(worker); // finished: terminate it now, not at the next cleanup
        cancelButton.disabled = true;
        running = false;
        show();
        status.dataset.state = 'done';
        return;
      }
      const { result, thumbnail } = data;
      results.push(result);
      const row = rows.insertRow();
      row.dataset.file = result.file;
      row.innerHTML =
        `<td>${result.index + 1}</td><td>${esc(result.file)}</td><td>${esc([result.make, result.model].filter(Boolean).join(' '))}</td>` +
        `<td>${esc(result.taken ?? '—')}</td><td class="thumb"></td><td class="error">${esc(result.error ?? '')}</td>`;
      if (thumbnail) {
        const url = current.objectUrl(new Blob([thumbnail], { type: 'image/jpeg' }), {
          evictable: true,
          metadata: { file: result.file },
        });
        const cell = row.cells[4];
        cell.dataset.bytes = String(thumbnail.byteLength);
        const img = new Image();
        img.alt = `thumbnail of ${result.file}`;
        img.src = url;
        cell.append(img);
        images.set(url, cell);
        current.listen(img, 'click', () => current.handle(url)?.touch()); // used: evicted last
      }
      plot(results);
      show();
    });
    current.listen(worker, 'error', (event) => {
      status.textContent = `The worker failed: ${event.message}`;
    });
    worker.postMessage({ files: files.map((f) => ({ file: f.file, url: `/photos/${f.file}` })), delayMs });
    status.dataset.state = 'running';
    show();
  }

  /** Clean the latest run up; `cancelled`: the user pressed Cancel (say so). */
  async function stop(cancelled) {
    const current = run;
    run = undefined;
    running = false;
    cancelButton.disabled = true;
    if (!current) return;
    await current.cleanup({ force: true, reason: cancelled ? 'cancelled' : 'new run' });
    if (cancelled) {
      status.textContent = 'Cancelled: the worker was terminated and every thumbnail revoked.';
      status.dataset.state = 'cancelled';
    }
  }

  tab.listen(form, 'submit', (event) => {
    event.preventDefault();
    start().catch((error) => {
      if (error.name !== 'AbortError' && !tab.disposed) status.textContent = `Error: ${error.message}`;
    });
  });
  tab.listen(cancelButton, 'click', () => void stop(true));
  plot([]);
}
