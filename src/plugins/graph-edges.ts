/**
 * The edges of the plugin graph: each declared dependency checked — present, its version in the
 * range, the host's version in the plugin's `host` range — into ordering edges (required and
 * optional), required edges, and each plugin's own errors; and services turned into dependencies
 * on their providers.
 */
import type { PluginGraphNode } from './graph.js';
import { GraphError } from './graph-error.js';
import type { PluginManifest } from './manifest.js';
import { rangeChecker } from './versions.js';

/** Ids in code-unit order (deterministic, locale-independent). */
export const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Per node (by position): its own errors, its ordering edges, its required edges (to positions). */
export interface CheckedEdges {
  readonly directErrors: GraphError[][];
  /** All ordering edges: node → dependency (required and present optional ones). */
  readonly edges: number[][];
  /** Required edges only. */
  readonly required: number[][];
}

/** Check every dependency of `nodes` (sorted by id; `position` maps id → index). */
export function checkEdges(
  nodes: readonly PluginGraphNode[],
  position: ReadonlyMap<string, number>,
  hostVersion: string | undefined,
): CheckedEdges {
  const satisfies = rangeChecker();
  const n = nodes.length;
  const directErrors: GraphError[][] = Array.from({ length: n }, () => []);
  const edges: number[][] = Array.from({ length: n }, () => []); // all ordering edges: node -> dependency
  const required: number[][] = Array.from({ length: n }, () => []); // required edges only
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    const errs = directErrors[i]!;
    if (
      hostVersion !== undefined &&
      node.hostRange !== undefined &&
      !satisfies(hostVersion, node.hostRange)
    ) {
      errs.push(
        new GraphError(
          'host-mismatch',
          [node.id],
          `plugin "${node.id}" requires host ${node.hostRange}, but the host is ${hostVersion}; ` +
            'install a version of the plugin made for this host',
          { range: node.hostRange, found: hostVersion },
        ),
      );
    }
    const deps: [string, string, boolean][] = [
      ...Object.entries(node.dependencies).map(([id, range]): [string, string, boolean] => [
        id,
        range,
        false,
      ]),
      ...Object.entries(node.optionalDependencies).map(([id, range]): [string, string, boolean] => [
        id,
        range,
        true,
      ]),
    ].sort((a, b) => byId(a[0], b[0]));
    for (const [depId, range, optional] of deps) {
      const j = position.get(depId);
      if (j === undefined) {
        if (!optional) {
          errs.push(
            new GraphError(
              'missing-dependency',
              [node.id],
              `plugin "${node.id}" depends on "${depId}" (${range}), which is not installed; ` +
                `install "${depId}" or remove it from "${node.id}"'s dependencies`,
              { dependency: depId, range },
            ),
          );
        }
        continue;
      }
      const found = nodes[j]!.version;
      if (!satisfies(found, range)) {
        errs.push(
          new GraphError(
            'incompatible-version',
            [node.id],
            `plugin "${node.id}" needs ${optional ? 'optional ' : ''}dependency "${depId}" ${range}, but version ` +
              `${found} is installed; install a matching "${depId}" or change the range in "${node.id}"`,
            { dependency: depId, range, found, optional },
          ),
        );
        continue;
      }
      edges[i]!.push(j);
      if (!optional) required[i]!.push(j);
    }
  }
  return { directErrors, edges, required };
}

/**
 * The manifests with each required service turned into a dependency on the plugin that
 * provides it (range `*`), so a consumer activates after its provider and is torn down before
 * it. A service nobody provides becomes a missing dependency named `service:<name>`, reported
 * like any other. The host and `steward validate` both resolve the graph of this.
 */
export function withServiceEdges<M extends PluginGraphNode & Pick<PluginManifest, 'provides' | 'requires'>>(
  manifests: readonly M[],
): M[] {
  const providers = new Map<string, string>();
  for (const m of manifests) for (const name of m.provides) providers.set(name, m.id);
  return manifests.map((m) => {
    if (m.requires.length === 0) return m;
    const dependencies: Record<string, string> = { ...m.dependencies };
    for (const name of m.requires) dependencies[providers.get(name) ?? `service:${name}`] ??= '*';
    return { ...m, dependencies };
  });
}
