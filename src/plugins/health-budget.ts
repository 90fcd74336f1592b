/**
 * A plugin's budget (the manifest's `budget`), checked once per window after its grace period:
 * which figure broke it, the `budgetExceeded` event, and the action after `checks` breaches in a row.
 */
import { type HealthHost, say, type Watch } from './health-types.js';
import type { PluginBudget } from './manifest-budget.js';

/**
 * Check plugin `id`'s budget at the end of a window: a breach is a `budgetExceeded` event; `checks`
 * in a row carry out the budget's action (`warn`, or `restart`/`disable` through the host), after
 * which the plugin gets a fresh grace period.
 */
export function checkBudget(host: HealthHost, id: string, budget: PluginBudget, w: Watch): void {
  let breach: { metric: 'elu' | 'heap'; value: number; limit: number } | undefined;
  if (budget.elu !== undefined && w.elu !== undefined && w.elu > budget.elu) {
    breach = { metric: 'elu', value: w.elu, limit: budget.elu };
  } else if (budget.heapBytes !== undefined && w.heapUsed !== undefined && w.heapUsed > budget.heapBytes) {
    breach = { metric: 'heap', value: w.heapUsed, limit: budget.heapBytes };
  }
  if (breach === undefined) {
    w.breaches = 0;
    return;
  }
  w.breaches++;
  const { action } = budget;
  host.events.emit('budgetExceeded', {
    id,
    ...breach,
    breaches: w.breaches,
    checks: budget.checks,
    action,
  });
  if (w.breaches < budget.checks) return;
  w.breaches = 0;
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const shown =
    breach.metric === 'elu'
      ? `ELU ${breach.value.toFixed(2)} > ${breach.limit}`
      : `heap ${mib(breach.value)} > ${mib(breach.limit)}`;
  say(
    host,
    'warn',
    id,
    `broke its budget ${budget.checks} time(s) in a row (${shown})${action === 'warn' ? '' : `: ${action === 'restart' ? 'restarting' : 'disabling'} it`}`,
  );
  if (action === 'warn') return;
  w.activeSince = Number.POSITIVE_INFINITY; // a fresh grace period once it is back
  host.act(id, action).catch((error: unknown) => {
    say(
      host,
      'error',
      id,
      `could not be ${action === 'restart' ? 'restarted' : 'disabled'} after breaking its budget: ${String(error)}`,
    );
  });
}
