/**
 * Terminal formatting: byte sizes, durations and aligned tables (numbers right-aligned).
 */

// The dashboard's formatting (plain browser JavaScript) serves the terminal too: one definition.
export {
  /** Bytes as `1.50 MiB` (exact below 1 KiB). */
  bytes as formatBytes,
  /** A duration in ms as `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 4 h`. */
  duration as formatDuration,
} from '../monitor/assets/format.js';

/** A column of a table. */
export interface Column<Row> {
  readonly title: string;
  readonly value: (row: Row) => string;
  /** Right-align (numbers). */
  readonly right?: boolean;
}

/** Render rows as an aligned text table with a header line; columns separated by two spaces. */
export function renderTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}
