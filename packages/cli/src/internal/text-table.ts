/**
 * Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.
 */

/** One column of a {@link renderTable}. */
export interface Column {
  readonly header: string;
  /** Right-align (numbers). Default false. */
  readonly right?: boolean;
  /** Cells longer than this are cut with `…`. Default: no limit. */
  readonly maxWidth?: number;
}

/** Renders rows under headers, two spaces between columns, a rule under the headers. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((c, i) => cut(row[i] ?? '', c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (columns[i].right ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

function cut(cell: string, max: number | undefined): string {
  if (max === undefined || cell.length <= max) return cell;
  return `${cell.slice(0, Math.max(0, max - 1))}…`;
}

/** An integer with thousands separators (`12,345`); `-` when unknown. */
export function formatCount(n: number | undefined): string {
  return n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

/** A byte count in B, KiB, MiB or GiB; `-` when unknown (missing means unknown, never zero). */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
