/**
 * What a detached-element finding says, as plain data with no DOM types, so Node-side code
 * (`steward/testing`, the monitor) can name it without `lib: ["dom"]` in its TypeScript settings.
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

/** What holds a detached element, among the records Steward knows. */
export interface DetachedHolder {
  /** `listener`: a listener of a live component on a node of the detached tree; `resource`: a record whose value is such a node. */
  readonly kind: 'listener' | 'resource';
  /** The live component whose record it is. */
  readonly component: string;
  /** The record's resource type. */
  readonly type: string;
  /** Resource id of the record. */
  readonly resource: number;
  /** For a listener: its event type. */
  readonly event?: string;
  /** Where the record was created (the manager's leak tracking on). */
  readonly stack?: string;
}

/** A component's element still alive after its cleanup and a garbage collection. */
export interface DetachedElementFinding {
  readonly kind: 'detached-element';
  /** Id of the component that mounted it. */
  readonly component: string;
  /** Type of that component (`tab`, `panel`…). */
  readonly componentType: string;
  /** The element, as it was when its component removed it. */
  readonly element: ElementDescription;
  /** What the finding says, for logs and the monitor. */
  readonly message: string;
  /** Where the element was mounted (with the manager's leak tracking on). */
  readonly stack?: string;
  /** Records of live components that hold it (empty: held by code Steward does not see). */
  readonly holders: readonly DetachedHolder[];
  /** When its component's cleanup removed it (ms since the Unix epoch). */
  readonly detachedAt: number;
  /**
   * The shortest path from a garbage-collection root to the element, one hop a line, from a heap
   * snapshot. Only `steward/testing`'s `detachedElements()` fills it in; a page cannot see it.
   */
  readonly retainers?: readonly string[];
}
