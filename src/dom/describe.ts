/**
 * How a finding names an element: its tag, id and classes, and a short path of its ancestors
 * (`main#app > section.tab > div.thumbs`), read while it is still in the document.
 */

import type { ElementDescription } from './finding.js';

export type { ElementDescription } from './finding.js';

const MAX_CLASSES = 5;
const MAX_DEPTH = 4;

/** `tag#id.class1.class2` of one element. */
export function selectorOf(element: Element): string {
  let out = element.localName;
  if (element.id) out += `#${element.id}`;
  const classes = element.classList;
  for (let i = 0; i < classes.length && i < MAX_CLASSES; i++) out += `.${classes[i]}`;
  return out;
}

/** Describe `element` now (call it before removing the element, for the path). */
export function describeElement(element: Element): ElementDescription {
  const parts = [selectorOf(element)];
  let parent = element.parentElement;
  for (let depth = 0; parent && depth < MAX_DEPTH; depth++, parent = parent.parentElement) {
    parts.unshift(selectorOf(parent));
  }
  if (parent) parts.unshift('…');
  return {
    tag: element.localName,
    id: element.id,
    classes: [...element.classList].slice(0, MAX_CLASSES),
    path: parts.join(' > '),
  };
}
