// The brief's Phase 4 migration: the legacy ForensicTab (legacy-forensic-tab.js, written
// without Steward) is adopted with the migration helper `adopt` from the core. It gets a
// component of its own, a child of this plugin's, with its existing cleanup() registered: when
// the plugin is unloaded (or fails to activate), the tab's cleanup runs exactly once — nobody
// has to remember to call it any more. The tab itself is unchanged.
//
// Service `forensic.evidence`: status(), verify().
import { fileURLToPath } from 'node:url';
import { adopt, tokenFor } from 'steward';
import { definePlugin } from 'steward/plugins';
import { ForensicTab } from './legacy-forensic-tab.js';

/** The service token. */
export const FORENSIC_EVIDENCE = tokenFor('forensic.evidence');

/** Adopts the legacy tab under this plugin's component and provides `forensic.evidence`. */
export default definePlugin({
  async activate(ctx) {
    const folder =
      process.env.FORENSIC_FOLDER || fileURLToPath(new URL('../../assets/photos/', import.meta.url));
    const tab = new ForensicTab({ folder, intervalMs: 10_000 });
    // Adopt first, start second: if start() fails, the plugin's cleanup still reaches the tab.
    const adopted = adopt(ctx.component.manager, tab, {
      id: 'ForensicTab',
      parent: ctx.component,
      cleanup: (legacy) => legacy.cleanup(),
      metadata: { legacy: true, folder },
    });
    await tab.start();
    adopted.component.setState('active'); // the tab runs: show it as such in the monitor
    ctx.services.provide(FORENSIC_EVIDENCE, {
      status: () => tab.status(),
      verify: () => tab.verify(),
      component: adopted.component.id,
    });
    ctx.log.info(
      `ForensicTab adopted as component "${adopted.component.id}": ${tab.baseline.size} evidence file(s) hashed`,
    );
  },
});
