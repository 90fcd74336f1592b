// Memory over time as an inline SVG line chart (no library): subtree bytes and own bytes.
import { svg } from './dom.js';
import { bytes, clock } from './format.js';

const PAD = { left: 78, right: 16, top: 14, bottom: 30 };

function niceMax(value) {
  if (value <= 0) return 1024;
  const exp = 2 ** Math.ceil(Math.log2(value));
  for (const f of [0.5, 0.625, 0.75, 0.875]) if (exp * f >= value) return exp * f;
  return exp;
}

function path(points) {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

/**
 * An SVG chart of `samples` ({ t, ownBytes, subtreeBytes }), `width` pixels wide so its text
 * keeps its size. `title` names what is shown; `single` draws one line (the manager's total,
 * where own and subtree are the same). With fewer than two samples it says so.
 */
export function memoryChart(samples, title, width = 640, single = false) {
  const W = Math.max(320, Math.round(width));
  const H = Math.round(Math.min(260, Math.max(180, W * 0.32)));
  const latest = samples.at(-1);
  const label = latest
    ? `${title}: ${bytes(latest.subtreeBytes)} now, ${bytes(Math.max(...samples.map((s) => s.subtreeBytes)))} at most over ${samples.length} samples`
    : `${title}: no samples yet`;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  root.append(svg('title', {}, label));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  if (samples.length < 2) {
    root.append(
      svg(
        'text',
        { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' },
        'Collecting samples… (one per second)',
      ),
    );
    return root;
  }
  const t0 = samples[0].t;
  const t1 = samples.at(-1).t;
  const max = niceMax(Math.max(...samples.map((s) => Math.max(s.subtreeBytes, s.ownBytes))));
  const x = (t) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const yy = y(max * f);
    root.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'chart-grid' }));
    root.append(
      svg('text', { x: PAD.left - 8, y: yy + 4, 'text-anchor': 'end', class: 'chart-axis' }, bytes(max * f)),
    );
  }
  root.append(svg('text', { x: PAD.left, y: H - 8, class: 'chart-axis' }, clock(t0)));
  root.append(
    svg('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end', class: 'chart-axis' }, clock(t1)),
  );
  const subtree = samples.map((s) => [x(s.t), y(s.subtreeBytes)]);
  const area = `${path(subtree)}L${x(t1).toFixed(1)},${y(0)}L${x(t0).toFixed(1)},${y(0)}Z`;
  root.append(svg('path', { d: area, class: 'chart-area' }));
  root.append(svg('path', { d: path(subtree), class: 'chart-line subtree' }));
  const legend = svg('g', { class: 'chart-legend', transform: `translate(${PAD.left + 8},${PAD.top + 4})` });
  legend.append(svg('rect', { x: 0, y: 0, width: 12, height: 4, class: 'swatch subtree' }));
  legend.append(
    svg(
      'text',
      { x: 18, y: 6 },
      `${single ? 'all components' : 'with children'} ${bytes(latest.subtreeBytes)}`,
    ),
  );
  if (!single) {
    root.append(
      svg('path', { d: path(samples.map((s) => [x(s.t), y(s.ownBytes)])), class: 'chart-line own' }),
    );
    legend.append(svg('rect', { x: 190, y: 0, width: 12, height: 4, class: 'swatch own' }));
    legend.append(svg('text', { x: 208, y: 6 }, `own ${bytes(latest.ownBytes)}`));
  }
  root.append(legend);
  return root;
}
