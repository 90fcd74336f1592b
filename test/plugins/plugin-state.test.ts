import { describe, expect, it } from 'vitest';
import { Emitter, ResourceManager, StewardError } from '../../src/core/index.js';
import type { PluginEvents } from '../../src/plugins/events.js';
import { PluginRegistry } from '../../src/plugins/host-registry.js';
import type { PluginManifest } from '../../src/plugins/manifest.js';
import {
  allowedPluginTransitions,
  canTransitionPlugin,
  IllegalPluginTransitionError,
  PLUGIN_STATES,
  type PluginState,
  type PluginStatus,
} from '../../src/plugins/plugin-state.js';
import type { PluginRuntime } from '../../src/plugins/runtime.js';

/** The table, written out once more: a change to the host's table must be a change here too. */
const EXPECTED: Record<PluginState, PluginState[]> = {
  discovered: ['loaded', 'failed', 'blocked', 'unloaded'],
  loaded: ['loaded', 'activating', 'failed', 'blocked', 'unloaded'],
  activating: ['active', 'failed'],
  active: ['paused', 'deactivating', 'failed'],
  paused: ['active', 'deactivating', 'failed'],
  deactivating: ['loaded', 'unloaded', 'failed'],
  unloaded: ['discovered', 'loaded', 'failed', 'blocked'],
  failed: ['failed', 'discovered', 'loaded', 'activating', 'blocked'],
  blocked: ['blocked', 'loaded', 'activating', 'failed', 'unloaded'],
};

const manager = new ResourceManager();
const runtime = { isolation: 'inline' } as unknown as PluginRuntime;
const session = {
  component: manager.register('state-test'),
  controller: new AbortController(),
  metadata: {},
};

/** A status of `state` with a payload of the right shape. */
function statusOf(state: PluginState): PluginStatus {
  switch (state) {
    case 'discovered':
    case 'unloaded':
      return { state };
    case 'loaded':
      return { state, runtime };
    case 'failed':
      return { state, phase: 'activate', error: new Error('x'), runtime: undefined };
    case 'blocked':
      return { state, by: 'dep', error: undefined, runtime: undefined };
    default:
      return { state, runtime, session };
  }
}

const manifest = { id: 'p', dependencies: {}, optionalDependencies: {} } as unknown as PluginManifest;

function registryWith(state: PluginState) {
  const events = new Emitter<PluginEvents>();
  const seen: string[] = [];
  events.on('stateChanged', (e) => seen.push(`${e.from}->${e.to}`));
  const registry = new PluginRegistry({
    events,
    log: () => {},
    hostVersion: undefined,
    isolation: undefined,
  });
  const record = registry.add(manifest);
  record.status = statusOf(state);
  return { registry, record, seen };
}

describe('plugin state table', () => {
  it('is exactly the documented table', () => {
    expect([...PLUGIN_STATES].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const from of PLUGIN_STATES)
      expect([...allowedPluginTransitions(from)].sort()).toEqual(EXPECTED[from].sort());
  });

  const pairs = PLUGIN_STATES.flatMap((from) => PLUGIN_STATES.map((to) => [from, to] as const));

  it.each(pairs.filter(([from, to]) => !EXPECTED[from].includes(to)))(
    'refuses %s → %s: IllegalPluginTransitionError, status unchanged, no event',
    (from, to) => {
      expect(canTransitionPlugin(from, to)).toBe(false);
      const { registry, record, seen } = registryWith(from);
      const before = record.status;
      let thrown: unknown;
      try {
        registry.transition(record, statusOf(to));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(IllegalPluginTransitionError);
      expect(thrown).toBeInstanceOf(StewardError);
      const error = thrown as IllegalPluginTransitionError;
      expect(error.code).toBe('STEWARD_PLUGIN_ILLEGAL_TRANSITION');
      expect([error.plugin, error.from, error.to]).toEqual(['p', from, to]);
      expect(error.message).toContain(`cannot go from "${from}" to "${to}"`);
      expect(record.status).toBe(before);
      expect(seen).toEqual([]);
    },
  );

  it.each(pairs.filter(([from, to]) => EXPECTED[from].includes(to)))(
    'allows %s → %s, reporting a change of state once',
    (from, to) => {
      expect(canTransitionPlugin(from, to)).toBe(true);
      const { registry, record, seen } = registryWith(from);
      const next = statusOf(to);
      registry.transition(record, next);
      expect(record.status).toBe(next);
      expect(seen).toEqual(from === to ? [] : [`${from}->${to}`]);
    },
  );

  it('lets a running plugin reach every state only through deactivating or failed', () => {
    // What leaves `active`/`paused` other than to each other keeps the teardown rules: a plugin is
    // deactivated (its hook, then its resources) or failed (its resources released) — never dropped.
    for (const from of ['active', 'paused'] as const) {
      const exits = allowedPluginTransitions(from).filter((s) => s !== 'active' && s !== 'paused');
      expect(exits.sort()).toEqual(['deactivating', 'failed']);
    }
  });
});
