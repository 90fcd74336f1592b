/**
 * Turning values of the core into plain JSON for the API: errors become messages, reports lose
 * their error objects, and anything returned by a plugin host becomes something JSON can hold.
 */
import type { CleanupReport } from '../core/index.js';

/** `Name: message` of an error, or the value as text. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** A cleanup report as JSON: failures and abandoned disposals carry error messages. */
export interface ReportJson {
  componentId: string;
  reason: string | undefined;
  components: string[];
  released: number;
  failed: Array<{ componentId: string; resourceId: number; type: string; error: string }>;
  abandoned: Array<{ componentId: string; resourceId: number; type: string; error: string }>;
  durationMs: number;
  deadlineExceeded: boolean;
}

/** The JSON form of a cleanup report. */
export function reportJson(report: CleanupReport): ReportJson {
  return {
    componentId: report.componentId,
    reason: report.reason,
    components: [...report.components],
    released: report.released,
    failed: report.failed.map((f) => ({ ...f, error: errorText(f.error) })),
    abandoned: report.abandoned.map((a) => ({ ...a, error: errorText(a.error) })),
    durationMs: report.durationMs,
    deadlineExceeded: report.deadlineExceeded,
  };
}

/** A JSON-safe copy of an arbitrary result (cycles, functions and bigints are dropped or turned into text). */
export function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  const seen = new WeakSet<object>();
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'function' || typeof v === 'symbol') return undefined;
        if (v instanceof Error) return errorText(v);
        if (v !== null && typeof v === 'object') {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? 'null',
    );
  } catch (error) {
    return errorText(error);
  }
}
