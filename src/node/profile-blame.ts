/**
 * Blaming a CPU profile's samples on the code that owns them, by file: each sample goes to the
 * owner of the innermost frame on its stack whose script lies under one of the owners' folders
 * (a plugin's function calling a library still counts for the plugin; a host callback calling
 * into a plugin counts for the plugin). What no owner claims is `unattributed`.
 *
 * `blameProfile` is self-contained on purpose (no imports, no closure over module state): the
 * loop watchdog ships its source text to its thread, which blames a profile while the main
 * thread is still blocked.
 */

/** A V8 CPU profile as the inspector's `Profiler.stop` returns it (the `.cpuprofile` format). */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One node of a {@link CpuProfile}'s call tree. */
export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    /** 0-based. */
    readonly lineNumber: number;
    /** 0-based. */
    readonly columnNumber: number;
  };
  readonly children?: readonly number[];
  /** Samples per source line (1-based) of this node's own time. */
  readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[];
}

/** Code that samples can be blamed on: an id and the folder its files live in. */
export interface BlameRoot {
  readonly id: string;
  /** Absolute folder; a script blames this owner if its path or `file://` URL is under it. */
  readonly dir: string;
}

/** The hottest place of an owner's code in a profile. */
export interface HotSpot {
  readonly functionName: string;
  /** The script's file path (or URL when it is not a file). */
  readonly file: string;
  /** 1-based line: the sampled line when V8 recorded it, else the function's first line. */
  readonly line: number;
  /** Samples that had this function as the owner's innermost frame. */
  readonly samples: number;
}

/** One owner's share of a profile. */
export interface BlameShare {
  readonly id: string;
  readonly samples: number;
  /** `samples / total`, 0…1. */
  readonly share: number;
  readonly hottest: HotSpot | undefined;
}

/** Who the samples of a profile belong to, most samples first. */
export interface ProfileBlame {
  /** Samples in the profile (idle and garbage-collector samples excluded). */
  readonly total: number;
  readonly owners: readonly BlameShare[];
  /** Samples no owner claims (the host's own code, Node, libraries called by the host). */
  readonly unattributed: number;
}

/** Blame `profile`'s samples on `roots` by file (see the module comment). Pure. */
export function blameProfile(profile: CpuProfile, roots: readonly BlameRoot[]): ProfileBlame {
  const prefixes = roots.map((root) => {
    const dir = root.dir.replace(/[\\/]+$/, '');
    const posix = dir.replace(/\\/g, '/');
    return { id: root.id, plain: `${dir}/`, url: `file://${posix.startsWith('/') ? '' : '/'}${posix}/` };
  });
  const ownerOfUrl = new Map<string, string | null>();
  const ownerOf = (url: string): string | null => {
    let owner = ownerOfUrl.get(url);
    if (owner !== undefined) return owner;
    owner = null;
    let best = -1;
    for (const p of prefixes) {
      const length = url.startsWith(p.url) ? p.url.length : url.startsWith(p.plain) ? p.plain.length : -1;
      if (length > best) {
        best = length;
        owner = p.id;
      }
    }
    ownerOfUrl.set(url, owner);
    return owner;
  };
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Per node: the owner and the innermost owned node on its stack (computed once per node).
  const claim = new Map<number, { owner: string; node: CpuProfileNode } | null>();
  const claimOf = (id: number): { owner: string; node: CpuProfileNode } | null => {
    const known = claim.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let result: { owner: string; node: CpuProfileNode } | null = null;
    if (node !== undefined) {
      const owner = node.callFrame.url === '' ? null : ownerOf(node.callFrame.url);
      if (owner !== null) result = { owner, node };
      else {
        const up = parent.get(id);
        result = up === undefined ? null : claimOf(up);
      }
    }
    claim.set(id, result);
    return result;
  };
  const IDLE = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
  const counts = new Map<string, { samples: number; spots: Map<number, number> }>();
  let total = 0;
  let unattributed = 0;
  for (const id of profile.samples ?? []) {
    const node = byId.get(id);
    if (node === undefined || IDLE.has(node.callFrame.functionName)) continue;
    total++;
    const owned = claimOf(id);
    if (owned === null) {
      unattributed++;
      continue;
    }
    let entry = counts.get(owned.owner);
    if (entry === undefined) {
      entry = { samples: 0, spots: new Map() };
      counts.set(owned.owner, entry);
    }
    entry.samples++;
    entry.spots.set(owned.node.id, (entry.spots.get(owned.node.id) ?? 0) + 1);
  }
  const owners: BlameShare[] = [];
  for (const [id, entry] of counts) {
    let hotId = -1;
    let hotSamples = 0;
    for (const [nodeId, samples] of entry.spots) {
      if (samples > hotSamples) {
        hotId = nodeId;
        hotSamples = samples;
      }
    }
    const hot = byId.get(hotId);
    let hottest: HotSpot | undefined;
    if (hot !== undefined) {
      let line = hot.callFrame.lineNumber + 1;
      let most = 0;
      for (const tick of hot.positionTicks ?? []) {
        if (tick.ticks > most) {
          most = tick.ticks;
          line = tick.line;
        }
      }
      const url = hot.callFrame.url;
      let file = url;
      if (url.startsWith('file://')) {
        file = decodeURIComponent(url.slice('file://'.length));
        if (/^\/[A-Za-z]:\//.test(file)) file = file.slice(1);
      }
      hottest = {
        functionName: hot.callFrame.functionName || '(anonymous)',
        file,
        line,
        samples: hotSamples,
      };
    }
    owners.push({ id, samples: entry.samples, share: total === 0 ? 0 : entry.samples / total, hottest });
  }
  owners.sort((a, b) => b.samples - a.samples || (a.id < b.id ? -1 : 1));
  return { total, owners, unattributed };
}
