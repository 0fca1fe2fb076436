/** Column-aligned tables as eksctl prints them (`get podidentityassociation`, `get addon`). */

const COLUMN_GAP = '   ';

/** The header and one line per row, each column as wide as its widest cell; `empty` when no rows. */
export function formatTable<Row>(
  columns: readonly (readonly [string, (row: Row) => string])[],
  rows: readonly Row[],
  empty: string,
): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = [
    columns.map(([header]) => header),
    ...rows.map((row) => columns.map(([, read]) => read(row))),
  ];
  const widths = columns.map((_, column) =>
    Math.max(...cells.map((line) => (line[column] ?? '').length)),
  );
  return cells
    .map(
      (line) =>
        `${line
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join(COLUMN_GAP)
          .trimEnd()}\n`,
    )
    .join('');
}
