/**
 * Notices full garbage collections without forcing any, so detached-element findings need no
 * `--expose-gc`. A *canary* — a detached element nobody references — is collected only by a
 * collection that reclaims detached DOM; an element a component removed and that survives two
 * such collections after its removal is held by something (one is not enough: an element marked
 * live by a collection already under way when it was removed floats to the next one).
 *
 * A young canary proves nothing: the minor collections of V8 and Blink's Oilpan can reclaim it
 * while the old elements it stands for wait for a full one. So each canary is held strongly
 * until two minor collections have gone by (seen through *probes*, plain objects in a
 * FinalizationRegistry, re-registered one at a time), which moves it to the old generation;
 * only then is it released. Probes run only while somebody waits: an idle page costs nothing.
 */

const AGE_PROBES = 2;

type Held = { readonly probe: true } | { readonly canary: number };

/** Counts full collections (canary generations) on demand. One per JavaScript realm. */
export class GcClock {
  #probes = 0;
  #probing = false;
  /** The canary being aged (held strongly) and the probe count when it was made. */
  #aging: { canary: object; since: number } | undefined;
  /** Sequence number of the released canary not yet collected. */
  #outstanding: number | undefined;
  /** Highest collected canary. */
  #collected = 0;
  /** Sequence number the next released canary gets. */
  #next = 1;
  /** Highest sequence number somebody waits for. */
  #wanted = 0;
  readonly #onAdvance: (collected: number) => void;
  readonly #makeCanary: () => object;
  readonly #registry = new FinalizationRegistry<Held>((held) => {
    if ('probe' in held) {
      this.#probes++;
      this.#probing = false;
    } else {
      this.#collected = Math.max(this.#collected, held.canary);
      this.#outstanding = undefined;
      this.#onAdvance(this.#collected);
    }
    this.#pump();
  });

  constructor(makeCanary: () => object, onAdvance: (collected: number) => void) {
    this.#makeCanary = makeCanary;
    this.#onAdvance = onAdvance;
  }

  /** Canary generations collected so far. */
  get collected(): number {
    return this.#collected;
  }

  /**
   * Ask for two full collections from now: returns the canary sequence number whose collection
   * proves them (compare with `collected`).
   */
  request(): number {
    const target = this.#next + 1;
    if (target > this.#wanted) this.#wanted = target;
    this.#aging ??= { canary: this.#makeCanary(), since: this.#probes };
    this.#pump();
    return target;
  }

  #pump(): void {
    if (this.#wanted <= this.#collected) return; // nobody waits: no probes, nothing held but the aged canary
    const aging = this.#aging;
    if (
      this.#outstanding === undefined &&
      this.#next <= this.#wanted &&
      aging !== undefined &&
      this.#probes - aging.since >= AGE_PROBES
    ) {
      this.#outstanding = this.#next++;
      this.#registry.register(aging.canary, { canary: this.#outstanding });
      this.#aging = { canary: this.#makeCanary(), since: this.#probes };
    }
    if (!this.#probing) {
      this.#probing = true;
      this.#registry.register({}, PROBE);
    }
  }
}

const PROBE: Held = { probe: true };
