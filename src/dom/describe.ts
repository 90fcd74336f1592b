/**
 * How a finding names an element: its tag, id and classes, and a short path of its ancestors
 * (`main#app > section.tab > div.thumbs`), read while it is still in the document.
 */

/** An element as a finding describes it. */
export interface ElementDescription {
  /** Lower-case tag name, e.g. `div`. */
  readonly tag: string;
  /** Its `id`, or an empty string. */
  readonly id: string;
  /** Its classes (at most 5). */
  readonly classes: readonly string[];
  /**
   * Its place in the document when it was removed: up to 4 ancestors and itself, e.g.
   * `body > main#app > section.tab-media`. Just the element when it was not in a document.
   */
  readonly path: string;
}

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
