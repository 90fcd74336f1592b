/**
 * The leak findings the monitor shows: every `leakDetected` event of the manager since the
 * monitor started (the newest `max`), as JSON with slots for what leak forensics adds — the
 * retainer path from a GC root and the bytes retained — so the dashboard's Leaks view shows them
 * as soon as a reporter fills them in.
 */
import type { LeakEvent, ResourceManager, Subscription } from '../core/index.js';

/** One leak finding (docs/monitor.md, "Data contract"). */
export interface LeakFindingJson {
  /** Increasing number (per monitor). */
  readonly id: number;
  /** When it was reported, ms since the Unix epoch. */
  readonly at: number;
  /** `owner-collected`, `use-after-cleanup`, `long-lived`, `untracked-handle`, or a reporter's own kind. */
  readonly kind: string;
  readonly component: string;
  readonly componentType: string;
  readonly message: string;
  /** The resource concerned, when there is one. */
  readonly resource?: { readonly id: number; readonly type: string; readonly size: number };
  /** Where the leaked thing was created, when recorded (leak tracking, handle attribution). */
  readonly stack?: string;
  /** Leak forensics: the path of retainers from a GC root to the leaked object, outermost first. */
  readonly retainerPath?: readonly string[];
  /** Leak forensics: bytes the leaked object keeps alive. */
  readonly retainedBytes?: number;
  /** Leak forensics: the plugin owning the first plugin object on the path. */
  readonly plugin?: string;
  /** Leak forensics: the host object holding it (`process._events.SIGUSR2`). */
  readonly holder?: string;
  /** Leak forensics: objects with the same path shape this finding stands for. */
  readonly count?: number;
}

/** The newest `max` leak findings of a manager, and how many there were in all. */
export class LeakLog {
  readonly #max: number;
  readonly #findings: LeakFindingJson[] = [];
  readonly #subscription: Subscription;
  #total = 0;

  constructor(manager: ResourceManager, max = 200) {
    this.#max = max;
    this.#subscription = manager.on('leakDetected', (e) => this.#add(e));
  }

  /** Findings reported since the monitor started (including those no longer kept). */
  get total(): number {
    return this.#total;
  }

  /** The kept findings, newest first. */
  list(): LeakFindingJson[] {
    return [...this.#findings].reverse();
  }

  /** Stop listening. */
  close(): void {
    this.#subscription.dispose();
  }

  #add(e: LeakEvent): void {
    const path = Array.isArray(e.retainerPath) ? e.retainerPath.map(String) : undefined;
    const retained = typeof e.retainedBytes === 'number' ? e.retainedBytes : undefined;
    const finding: LeakFindingJson = {
      id: ++this.#total,
      at: Date.now(),
      kind: e.kind,
      component: e.component.id,
      componentType: e.component.type,
      message: e.message,
      ...(e.resource
        ? { resource: { id: e.resource.id, type: e.resource.type, size: e.resource.size } }
        : {}),
      ...(e.stack ? { stack: e.stack } : {}),
      ...(path ? { retainerPath: path } : {}),
      ...(retained !== undefined ? { retainedBytes: retained } : {}),
      ...(e.plugin ? { plugin: e.plugin } : {}),
      ...(e.holder ? { holder: e.holder } : {}),
      ...(e.count !== undefined ? { count: e.count } : {}),
    };
    this.#findings.push(finding);
    if (this.#findings.length > this.#max) this.#findings.shift();
  }
}
