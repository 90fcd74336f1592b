// The media-analysis page: the run's status, a form to start, cancel or clear a run, the table
// of files with their thumbnails (served from memory), and the GPS positions plotted as inline
// SVG. Plain HTML, no script: it refreshes itself while a run is in progress.

const html = (value) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const bytes = (n) => (n === null || n === undefined ? '—' : `${n.toLocaleString('en-US')} B`);
const coordinate = (value, positive, negative) =>
  `${Math.abs(value).toFixed(5)}° ${value >= 0 ? positive : negative}`;

/**
 * The GPS positions as an SVG plot: equirectangular, scaled to the points' bounding box (with a
 * margin, at least 0.02° wide), points numbered in file order and joined in time order.
 */
export function gpsPlot(results, { width = 560, height = 360 } = {}) {
  const points = results.filter((r) => r.latitude !== null && r.longitude !== null);
  if (points.length === 0) {
    return `<svg class="gps" role="img" aria-label="No GPS positions" width="${width}" height="80" viewBox="0 0 ${width} 80"><text x="12" y="44">No GPS positions yet.</text></svg>`;
  }
  const lats = points.map((p) => p.latitude);
  const lons = points.map((p) => p.longitude);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = Math.cos((midLat * Math.PI) / 180); // a degree of longitude is shorter away from the equator
  const xs = lons.map((lon) => lon * kx);
  const span =
    Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...lats) - Math.min(...lats), 0.02) * 1.15;
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...lats) + Math.max(...lats)) / 2;
  const pad = 28;
  const scale = Math.min((width - 2 * pad) / span, (height - 2 * pad) / span); // px per degree
  const px = (lon) => (width / 2 + (lon * kx - cx) * scale).toFixed(1);
  const py = (lat) => (height / 2 - (lat - cy) * scale).toFixed(1);
  const north = cy + height / 2 / scale;
  const south = cy - height / 2 / scale;
  const west = (cx - width / 2 / scale) / kx;
  const east = (cx + width / 2 / scale) / kx;
  const byTime = [...points].sort((a, b) => String(a.taken).localeCompare(String(b.taken)));
  const track = byTime.map((p) => `${px(p.longitude)},${py(p.latitude)}`).join(' ');
  const marks = points
    .map(
      (p) =>
        `<g class="point"><title>${html(p.file)}: ${coordinate(p.latitude, 'N', 'S')}, ${coordinate(p.longitude, 'E', 'W')}${p.description ? ` — ${html(p.description)}` : ''}</title>` +
        `<circle cx="${px(p.longitude)}" cy="${py(p.latitude)}" r="5"/>` +
        `<text x="${(Number(px(p.longitude)) + 8).toFixed(1)}" y="${(Number(py(p.latitude)) + 4).toFixed(1)}">${p.index + 1}</text></g>`,
    )
    .join('');
  const corner = (lat, lon) => `${lat.toFixed(3)}°, ${lon.toFixed(3)}°`;
  return (
    `<svg class="gps" role="img" aria-label="GPS positions of ${points.length} photo(s)" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-points="${points.length}">` +
    `<rect class="frame" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}"/>` +
    `<polyline class="track" points="${track}"/>${marks}` +
    `<text class="corner" x="6" y="14">${corner(north, west)}</text>` +
    `<text class="corner" x="${width - 6}" y="${height - 6}" text-anchor="end">${corner(south, east)}</text>` +
    '</svg>'
  );
}

function thumbnailCell(r) {
  if (r.thumbnailHeld) {
    const src = `/thumbnails/${encodeURIComponent(r.file)}`;
    return `<img src="${src}" alt="thumbnail of ${html(r.file)}" width="64"><br><small>${bytes(r.thumbnailBytes)}</small>`;
  }
  if (r.evicted) return `<span class="evicted">evicted</span><br><small>${bytes(r.thumbnailBytes)}</small>`;
  return r.thumbnailBytes ? `<small>released</small>` : '<small>none</small>';
}

function statusLine(status) {
  if (!status) return 'No analysis yet.';
  return (
    `<b>${html(status.run)}</b>: ${html(status.state)} — ${status.analysed}/${status.total} file(s) of <code>${html(status.folder)}</code>; ` +
    `${status.thumbnails} thumbnail(s) in memory (${bytes(status.thumbnailBytes)} of a ${bytes(status.limitBytes)} limit), ` +
    `${status.evicted} evicted (${bytes(status.evictedBytes)}), ${status.gpsPoints} GPS point(s)` +
    (status.error ? `; error: ${html(status.error)}` : '')
  );
}

/** The whole page. */
export function renderPage({ status, results, defaultFolder, formLimitBytes, lastError }) {
  const rows = results
    .map(
      (r) =>
        `<tr data-file="${html(r.file)}"><td>${r.index + 1}</td><td>${html(r.file)}</td><td>${bytes(r.bytes)}</td>` +
        `<td>${html([r.make, r.model].filter(Boolean).join(' ')) || '—'}</td><td>${html(r.taken ?? '—')}</td>` +
        `<td>${r.latitude === null ? '—' : `${coordinate(r.latitude, 'N', 'S')}<br>${coordinate(r.longitude, 'E', 'W')}`}</td>` +
        `<td>${html(r.description ?? '')}</td><td>${thumbnailCell(r)}</td><td>${html(r.error ?? '')}</td></tr>`,
    )
    .join('\n');
  const running = status?.state === 'running';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Media analysis</title>
${running ? '<meta http-equiv="refresh" content="1">' : ''}
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2733}
table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #d8dee6;padding:.3rem .6rem;text-align:left;vertical-align:middle}
form{display:inline-block;margin-right:1rem}input{font:inherit}
.gps{background:#f4f8fb}.gps .frame{fill:none;stroke:#9fb3c8}.gps .track{fill:none;stroke:#7f9cbc;stroke-dasharray:4 3}
.gps circle{fill:#d64545;stroke:#fff;stroke-width:1.5}.gps text{font-size:12px;fill:#1d2733}.gps .corner{font-size:10px;fill:#60748a}
.evicted{color:#a05a00}.error{color:#b00020}
</style></head><body>
<h1>Media analysis</h1>
<p id="status">${statusLine(status)}</p>
${lastError ? `<p class="error">${html(lastError)}</p>` : ''}
<form method="post" action="/analyse">
<label>Folder <input name="folder" size="48" value="${html(defaultFolder)}"></label>
<label>Thumbnail limit (bytes) <input name="thumbnailLimitBytes" size="8" value="${formLimitBytes}"></label>
<label>Pause per file (ms) <input name="delayMs" size="5" value="300"></label>
<button>Analyse</button></form>
<form method="post" action="/cancel"><button${running ? '' : ' disabled'}>Cancel</button></form>
<form method="post" action="/clear"><button>Clear</button></form>
<table><thead><tr><th>#</th><th>File</th><th>Size</th><th>Camera</th><th>Taken</th><th>GPS</th><th>Description</th><th>Thumbnail</th><th>Problem</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>GPS positions</h2>
${gpsPlot(results)}
<p><small>Thumbnails live in memory as tracked resources of the run's component, least recently used first to go when the limit is reached; showing one marks it as used. JSON: <a href="/api/status">/api/status</a>.</small></p>
</body></html>`;
}
