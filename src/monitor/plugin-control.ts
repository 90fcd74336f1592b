/**
 * The narrow interface through which the monitor sees and drives plugins. The plugin host
 * implements it; the monitor depends on nothing else of the plugin layer, so it also works
 * for applications that have no plugins at all (pass no `plugins` option).
 */

/** What the monitor shows about one plugin. Plain data: it is sent to the browser as JSON. */
export interface PluginInfo {
  /** Unique plugin id (the manifest's `steward.id`). */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Version from the manifest. */
  readonly version: string;
  /** Lifecycle state as the host names it (`active`, `failed`, `unloaded`…). */
  readonly state: string;
  /** How the plugin runs: `inline` or `worker`. */
  readonly isolation: string;
  /** Ids of the plugins it depends on. */
  readonly dependencies: readonly string[];
  /** Time to load its module, ms, when known. */
  readonly loadMs?: number;
  /** Time its `activate` took, ms, when known. */
  readonly activateMs?: number;
  /** Id of the manager component that owns its resources, while it has one. */
  readonly component?: string;
  /** Why it failed (message), when its state is a failure. */
  readonly error?: string;
}

/** A change of a plugin, for the live event stream. */
export interface PluginChangeEvent {
  /** What happened: `loaded`, `activated`, `reloaded`, `unloaded`, `failed`… (host-defined). */
  readonly type: string;
  /** The plugin's id. */
  readonly id: string;
  /** Its state after the change, when the host knows it. */
  readonly state?: string;
}

/**
 * What the monitor needs from a plugin host. `list()` must be cheap and side-effect free (it
 * is called on every page refresh and every metrics scrape). `reload`/`unload` reject with an
 * Error whose message says what went wrong; the monitor shows that message to the user.
 */
export interface PluginControl {
  /** Every known plugin, including failed and unloaded ones. */
  list(): PluginInfo[];
  /** Reload the plugin `id` (and, as the host decides, its dependents). */
  reload(id: string): Promise<unknown>;
  /** Unload the plugin `id` (dependents first, as the host decides). */
  unload(id: string): Promise<unknown>;
  /** Subscribe to plugin changes; the monitor relays them on its event stream. */
  onChange?(listener: (event: PluginChangeEvent) => void): Disposable;
}
