/**
 * The plugin host as the monitor sees it: `PluginControl` over a `PluginHost`.
 */
import type { PluginHost } from '../plugins/index.js';
import type { PluginChangeEvent, PluginControl, PluginInfo } from './plugin-control.js';

/** Adapt `host` for `startMonitor(manager, { plugins })`. */
export function pluginHostControl(host: PluginHost): PluginControl {
  return {
    list: () =>
      host.list().map((p): PluginInfo => {
        const info: { -readonly [K in keyof PluginInfo]: PluginInfo[K] } = {
          id: p.id,
          name: p.displayName,
          version: p.version,
          state: p.state,
          isolation: p.isolation,
          dependencies: p.dependencies,
        };
        if (p.loadMs !== undefined) info.loadMs = p.loadMs;
        if (p.activateMs !== undefined) info.activateMs = p.activateMs;
        if (p.component !== undefined) info.component = p.component;
        if (p.error !== undefined) info.error = p.error;
        return info;
      }),
    reload: (id) => host.reload(id),
    unload: (id) => host.unload(id),
    onChange(listener) {
      const emit = (event: PluginChangeEvent): void => listener(event);
      const subscriptions = [
        host.on('stateChanged', ({ id, to }) => emit({ type: 'stateChanged', id, state: to })),
        host.on('reloaded', ({ id }) =>
          emit({ type: 'reloaded', id, state: host.get(id)?.state ?? 'unknown' }),
        ),
        host.on('failed', ({ id }) => emit({ type: 'failed', id, state: 'failed' })),
      ];
      const dispose = (): void => {
        for (const s of subscriptions) s.dispose();
      };
      return { [Symbol.dispose]: dispose };
    },
  };
}
