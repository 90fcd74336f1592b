// A tiny element builder: h('td', { class: 'num' }, 'text', child…). Text goes through
// textContent, never innerHTML, so values from the application cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren(
    ...children.flat(Number.POSITIVE_INFINITY).filter((c) => c !== undefined && c !== null && c !== false),
  );
}

/**
 * Run `render` (which rebuilds part of `container`) without losing keyboard focus: an element
 * with a `data-key` that had focus gets it back in the new content.
 */
export function keepFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset?.key : undefined;
  render();
  if (key === undefined) return;
  for (const el of container.querySelectorAll('[data-key]')) {
    if (el.dataset.key === key) {
      el.focus();
      return;
    }
  }
}
