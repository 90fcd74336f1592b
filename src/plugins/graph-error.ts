/**
 * Why a plugin cannot be activated, as the dependency graph finds it: {@link GraphError}.
 */
import { StewardError } from '../core/index.js';

/** Why a plugin cannot be activated. */
export type GraphErrorKind =
  | 'missing-dependency'
  | 'incompatible-version'
  | 'cycle'
  | 'host-mismatch'
  | 'blocked';

/**
 * A problem found while resolving the graph. `plugins` lists the affected (excluded) plugin ids: the
 * plugin itself, or every member of a cycle. Extra fields depend on `kind`:
 * - `missing-dependency`: `dependency`, `range`.
 * - `incompatible-version`: `dependency`, `range`, `found` (the version present), `optional`.
 * - `host-mismatch`: `range` (the plugin's host range), `found` (the host version).
 * - `cycle`: `cycle`, the path `[a, b, c, a]` (each depends on the next).
 * - `blocked`: `dependency` (an excluded dependency), `rootCause` (the plugin whose own error started it).
 *
 * Code `STEWARD_PLUGIN_GRAPH`; `kind` says which problem it is.
 */
export class GraphError extends StewardError {
  override readonly name = 'GraphError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_GRAPH';
  readonly kind: GraphErrorKind;
  readonly plugins: readonly string[];
  readonly dependency?: string;
  readonly range?: string;
  readonly found?: string;
  readonly optional?: boolean;
  readonly cycle?: readonly string[];
  readonly rootCause?: string;

  constructor(
    kind: GraphErrorKind,
    plugins: readonly string[],
    message: string,
    details: {
      dependency?: string;
      range?: string;
      found?: string;
      optional?: boolean;
      cycle?: readonly string[];
      rootCause?: string;
    } = {},
  ) {
    super(message);
    this.kind = kind;
    this.plugins = Object.freeze([...plugins]);
    if (details.dependency !== undefined) this.dependency = details.dependency;
    if (details.range !== undefined) this.range = details.range;
    if (details.found !== undefined) this.found = details.found;
    if (details.optional !== undefined) this.optional = details.optional;
    if (details.cycle !== undefined) this.cycle = Object.freeze([...details.cycle]);
    if (details.rootCause !== undefined) this.rootCause = details.rootCause;
  }
}
