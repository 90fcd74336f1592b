/**
 * The manifest's health budget: how much of its thread's time (event-loop utilisation) and heap a
 * plugin may use, measured over a window, and what the host does after `checks` consecutive
 * breaches (like Platformatic Watt's `maxUnhealthyChecks`): `warn`, `restart` or `disable`.
 *
 * ```json
 * "budget": { "elu": 0.8, "heap": "256MB", "window": "10s", "action": "restart", "checks": 3, "grace": "10s" }
 * ```
 */
import * as z from 'zod';
import { StewardRangeError } from '../core/index.js';
import { parseByteSize } from './byte-size.js';

/** What the host does when a plugin breaks its budget `checks` times in a row. */
export type BudgetAction = 'warn' | 'restart' | 'disable';

/** A plugin's health budget, normalized (see the module comment). */
export interface PluginBudget {
  /** Largest event-loop utilisation of the plugin's thread over the window, 0 < elu ≤ 1. */
  readonly elu?: number;
  /** Largest heap of the plugin's own isolate (worker and process plugins), bytes. */
  readonly heapBytes?: number;
  /** The window ELU is measured over, and how often the budget is checked, ms. Default 10 s. */
  readonly windowMs: number;
  readonly action: BudgetAction;
  /** Consecutive breaches that trigger the action. Default 3. */
  readonly checks: number;
  /** Time after activation during which breaches do not count, ms. Default: one window. */
  readonly graceMs: number;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const HOUR = 3_600_000;

/** `"10s"`, `"500ms"`, `"2m"`, `"1h"` or a number of milliseconds, as milliseconds. */
export function parseDuration(input: string | number): number {
  let ms: number;
  if (typeof input === 'number') ms = input;
  else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(input);
    if (match === null) {
      throw new StewardRangeError(
        `"${input}" is not a duration; write e.g. "10s", "500ms" or "2m", or a number of milliseconds`,
      );
    }
    ms = Number(match[1]) * UNITS[match[2]!]!;
  }
  if (!Number.isFinite(ms) || ms < 0 || Math.round(ms) !== ms) {
    throw new StewardRangeError(
      `must be a whole, non-negative number of milliseconds (got ${String(input)})`,
    );
  }
  return ms;
}

function duration(min: number, max: number, example: string) {
  return z.unknown().transform((value, ctx): number => {
    if (typeof value !== 'number' && typeof value !== 'string') {
      ctx.issues.push({ code: 'custom', input: value, message: `must be a duration; write e.g. ${example}` });
      return z.NEVER;
    }
    try {
      const ms = parseDuration(value);
      if (ms < min || ms > max) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `must be between ${min} ms and ${max / 60_000} minutes (got ${ms} ms); write e.g. ${example}`,
        });
        return z.NEVER;
      }
      return ms;
    } catch (error) {
      ctx.issues.push({ code: 'custom', input: value, message: (error as Error).message });
      return z.NEVER;
    }
  });
}

const heapSchema = z.unknown().transform((value, ctx): number => {
  if (typeof value !== 'number' && typeof value !== 'string') {
    ctx.issues.push({ code: 'custom', input: value, message: 'must be a size; write e.g. "256MB"' });
    return z.NEVER;
  }
  try {
    const bytes = parseByteSize(value);
    if (bytes > 0) return bytes;
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: 'must be more than 0 bytes; write e.g. "256MB"',
    });
  } catch (error) {
    ctx.issues.push({ code: 'custom', input: value, message: (error as Error).message });
  }
  return z.NEVER;
});

/** Schema of the manifest's `budget` block (unknown keys are errors, like every manifest field). */
export const budgetSchema = z
  .strictObject(
    {
      elu: z
        .number({ error: 'must be a number between 0 and 1, e.g. 0.8 (80 % of the thread busy)' })
        .gt(0, { error: 'must be more than 0; e.g. 0.8' })
        .max(1, { error: 'must be at most 1 (the thread busy all the time); e.g. 0.8' })
        .optional(),
      heap: heapSchema.optional(),
      window: duration(1000, HOUR, '"10s"').optional(),
      action: z
        .enum(['warn', 'restart', 'disable'], { error: 'must be "warn", "restart" or "disable"' })
        .default('warn'),
      checks: z
        .number({ error: 'must be a whole number of consecutive breaches, e.g. 3' })
        .int({ error: 'must be a whole number, e.g. 3' })
        .min(1, { error: 'must be at least 1' })
        .max(100, { error: 'must be at most 100' })
        .default(3),
      grace: duration(0, HOUR, '"30s"').optional(),
    },
    { error: 'must be an object; write it as "budget": { "elu": 0.8, "heap": "256MB", "window": "10s" }' },
  )
  .superRefine((value, ctx) => {
    if (value.elu === undefined && value.heap === undefined) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: 'sets no limit; give "elu" (e.g. 0.8) or "heap" (e.g. "256MB"), or remove "budget"',
      });
    }
  })
  .transform((value): PluginBudget => {
    const windowMs = value.window ?? 10_000;
    return Object.freeze({
      ...(value.elu !== undefined && { elu: value.elu }),
      ...(value.heap !== undefined && { heapBytes: value.heap }),
      windowMs,
      action: value.action,
      checks: value.checks,
      graceMs: value.grace ?? windowMs,
    });
  });
