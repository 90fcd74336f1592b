// The brief's Phase 4 migration in the browser: the legacy ForensicTab (written without
// Steward) is adopted with the core's `adopt` as a child component of the tab. Its own cleanup()
// runs exactly once when the tab closes — nobody has to remember to call it — and its root
// element is tracked by a ledger, so if the legacy code ever kept its DOM alive after cleanup,
// Steward would report the detached tree. The legacy class itself is unchanged.
import { adopt } from 'steward';
import { domLedger } from 'steward/dom';
import { LegacyForensicTab } from './legacy-forensic-tab.js';

export function openForensic({ tab, view }) {
  const legacy = new LegacyForensicTab({ intervalMs: 10_000 });
  // Adopt first, start second: if start() fails, the tab's cleanup still reaches the legacy tab.
  const adopted = adopt(tab.manager, legacy, {
    id: `${tab.component.id}/legacy`,
    parent: tab.component,
    cleanup: (t) => t.cleanup(),
    metadata: { legacy: true },
  });
  domLedger(adopted.component).mount(legacy.root, view);
  legacy.start().then(
    () => {
      if (!adopted.component.disposed) adopted.component.setState('active');
    },
    (error) => {
      view.insertAdjacentHTML('beforeend', `<p class="error">Could not start: ${error.message}</p>`);
    },
  );
  // For tests and the console: how often the legacy cleanup ran.
  view.legacy = legacy;
}
