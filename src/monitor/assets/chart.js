// Time-series line charts as inline SVG (no library): a legend above the plot (never over the
// lines), time labels at round steps along the x axis, and a readout of the values under the
// pointer — or under a cursor moved with the arrow keys when the chart has focus.
import { h, svg } from './dom.js';
import { bytes, clock } from './format.js';

const PAD = { left: 70, right: 12, top: 10, bottom: 26 };
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

function niceMax(value, format) {
  if (value <= 0) return format === bytes ? 1024 : 1;
  if (format !== bytes) {
    const exp = 10 ** Math.floor(Math.log10(value));
    for (const f of [1, 2, 2.5, 5, 10]) if (exp * f >= value) return exp * f;
  }
  const exp = 2 ** Math.ceil(Math.log2(value));
  for (const f of [0.5, 0.625, 0.75, 0.875]) if (exp * f >= value) return exp * f;
  return exp;
}

function path(points) {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

/** Time labels at multiples of a round step, about one per 80 px. */
export function timeTicks(t0, t1, plotWidth) {
  const span = Math.max(1, (t1 - t0) / 1000);
  const wanted = Math.max(2, Math.floor(plotWidth / 80));
  const step = TIME_STEPS_S.find((s) => span / s <= wanted) ?? TIME_STEPS_S.at(-1);
  const ticks = [];
  for (let t = Math.ceil(t0 / 1000 / step) * step * 1000; t <= t1; t += step * 1000) ticks.push(t);
  return { ticks, step };
}

/**
 * A chart of `samples` (objects with `t` and one number per series key). `series`: `[{ key,
 * label, cls }]`, the first one drawn with a filled area. `format` formats values (default:
 * bytes). `width` in pixels keeps text at its size. Returns a <figure>.
 */
export function lineChart({ title, samples, series, width = 640, format = bytes }) {
  const W = Math.max(280, Math.round(width));
  const H = Math.round(Math.min(240, Math.max(170, W * 0.3)));
  const latest = samples.at(-1);
  const summary = latest
    ? `${title}: ${series.map((s) => `${s.label} ${format(latest[s.key])}`).join(', ')} now, over ${samples.length} samples`
    : `${title}: no samples yet`;
  const legend = h(
    'figcaption',
    { class: 'chart-legend' },
    series.map((s) =>
      h(
        'span',
        { class: 'legend-item' },
        h('span', { class: `swatch ${s.cls}`, 'aria-hidden': 'true' }),
        `${s.label} `,
        h('strong', {}, latest ? format(latest[s.key]) : '—'),
      ),
    ),
  );
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', 'aria-hidden': 'true' });
  const readout = h('output', { class: 'chart-readout', 'aria-live': 'polite' });
  const figure = h(
    'figure',
    {
      class: 'chart-figure',
      role: 'img',
      'aria-label': summary,
      tabindex: samples.length >= 2 ? '0' : undefined,
    },
    legend,
    root,
    readout,
  );
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
    return figure;
  }
  const t0 = samples[0].t;
  const t1 = samples.at(-1).t;
  const max = niceMax(Math.max(...samples.flatMap((s) => series.map((x) => s[x.key]))), format);
  const x = (t) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const yy = y(max * f);
    root.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'chart-grid' }));
    root.append(
      svg('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'chart-axis' }, format(max * f)),
    );
  }
  const { ticks, step } = timeTicks(t0, t1, plotW);
  for (const t of ticks) {
    const xx = x(t);
    root.append(
      svg('line', { x1: xx, x2: xx, y1: PAD.top + plotH, y2: PAD.top + plotH + 4, class: 'chart-grid' }),
    );
    const label = step >= 60 ? clock(t).slice(0, 5) : clock(t);
    // A label near an edge is anchored at that edge, so it is never cut off.
    const anchor = xx > W - PAD.right - 30 ? 'end' : xx < PAD.left + 30 ? 'start' : 'middle';
    const lx = anchor === 'end' ? W - PAD.right : anchor === 'start' ? Math.max(0, xx - 10) : xx;
    root.append(svg('text', { x: lx, y: H - 6, 'text-anchor': anchor, class: 'chart-axis' }, label));
  }
  series.forEach((s, i) => {
    const points = samples.map((p) => [x(p.t), y(p[s.key])]);
    if (i === 0) {
      const area = `${path(points)}L${x(t1).toFixed(1)},${y(0)}L${x(t0).toFixed(1)},${y(0)}Z`;
      root.append(svg('path', { d: area, class: `chart-area ${s.cls}` }));
    }
    root.append(svg('path', { d: path(points), class: `chart-line ${s.cls}` }));
  });
  const cursor = svg('line', {
    y1: PAD.top,
    y2: PAD.top + plotH,
    class: 'chart-cursor',
    visibility: 'hidden',
  });
  const dots = series.map((s) =>
    svg('circle', { r: 3.5, class: `chart-dot ${s.cls}`, visibility: 'hidden' }),
  );
  root.append(cursor, ...dots);
  let index = samples.length - 1;
  const show = (i) => {
    index = Math.max(0, Math.min(samples.length - 1, i));
    const p = samples[index];
    const xx = x(p.t);
    cursor.setAttribute('x1', xx);
    cursor.setAttribute('x2', xx);
    cursor.setAttribute('visibility', 'visible');
    series.forEach((s, k) => {
      dots[k].setAttribute('cx', xx);
      dots[k].setAttribute('cy', y(p[s.key]));
      dots[k].setAttribute('visibility', 'visible');
    });
    readout.textContent = `${clock(p.t)} · ${series.map((s) => `${s.label} ${format(p[s.key])}`).join(' · ')}`;
  };
  const hide = () => {
    cursor.setAttribute('visibility', 'hidden');
    for (const d of dots) d.setAttribute('visibility', 'hidden');
    readout.textContent = '';
  };
  root.addEventListener('pointermove', (event) => {
    const box = root.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * W;
    const t = t0 + ((px - PAD.left) / plotW) * (t1 - t0);
    let best = 0;
    for (let i = 1; i < samples.length; i++) {
      if (Math.abs(samples[i].t - t) < Math.abs(samples[best].t - t)) best = i;
    }
    show(best);
  });
  root.addEventListener('pointerleave', hide);
  figure.addEventListener('focus', () => show(index));
  figure.addEventListener('blur', hide);
  figure.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
    if (event.key in moves) show(index + moves[event.key]);
    else if (event.key === 'Home') show(0);
    else if (event.key === 'End') show(samples.length - 1);
    else return;
    event.preventDefault();
  });
  return figure;
}

/**
 * Memory over time of a component (subtree and own bytes) or, with `single`, of all components
 * (one line: own and subtree are the same there).
 */
export function memoryChart(samples, title, width = 640, single = false) {
  const series = single
    ? [{ key: 'subtreeBytes', label: 'all components', cls: 'subtree' }]
    : [
        { key: 'subtreeBytes', label: 'with children', cls: 'subtree' },
        { key: 'ownBytes', label: 'own', cls: 'own' },
      ];
  return lineChart({ title, samples, series, width });
}
