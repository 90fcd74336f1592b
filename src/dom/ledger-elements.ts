/**
 * What a ledger puts into the page: mounted elements (removed at cleanup, then watched for
 * detached-DOM leaks when detection is on) and adopted style sheets (taken out again at cleanup).
 * Internal to `ledger.ts`.
 */
import { StewardTypeError, type TrackedResource } from '../core/index.js';
import { describeElement, type ElementDescription } from './describe.js';
import { watchDetached } from './detached.js';
import { kindOf } from './ledger-listen.js';
import type { LedgerTracks } from './ledger-tracks.js';

/** Track `element` as mounted, inserting it into `parent` (before `before`) when given. @internal */
export function mountElement<E extends Element>(
  tracks: LedgerTracks,
  detect: boolean,
  element: E,
  parent: ParentNode | undefined,
  before: Node | null | undefined,
): E {
  if (element === null || typeof element !== 'object' || (element as Node).nodeType !== 1) {
    throw new StewardTypeError(`mount(): element must be an Element (got ${kindOf(element)}).`);
  }
  let handle: TrackedResource<E> | undefined;
  handle = tracks.track(element, 'element', (el) => unmount(tracks, detect, el, handle), 0, undefined);
  if (parent) {
    try {
      parent.insertBefore(element, before ?? null);
    } catch (error) {
      handle.untrackAndLeak();
      throw error;
    }
  }
  return element;
}

function unmount(
  tracks: LedgerTracks,
  detect: boolean,
  element: Element,
  handle: TrackedResource | undefined,
): void {
  const { component } = tracks;
  const watch = detect && handle !== undefined && component.disposed;
  const described: ElementDescription | undefined = watch ? describeElement(element) : undefined;
  element.remove(); // a no-op when someone else removed it first
  if (described) watchDetached(element, component, described, handle!.stack);
}

/** Add `css` (text or a sheet) to `root`'s adopted style sheets, tracked to be taken out. @internal */
export function adoptStyle(
  tracks: LedgerTracks,
  css: string | CSSStyleSheet,
  root: Document | ShadowRoot,
): CSSStyleSheet {
  if (typeof css === 'string') tracks.refuseIfClosed('stylesheet');
  const sheet = typeof css === 'string' ? new CSSStyleSheet() : css;
  if (typeof css === 'string') sheet.replaceSync(css);
  tracks.own(
    sheet,
    'stylesheet',
    (s) => (root.adoptedStyleSheets = root.adoptedStyleSheets.filter((x) => x !== s)),
    0,
    undefined,
  );
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  return sheet;
}
