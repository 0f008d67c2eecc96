/** A plain aligned text table: numbers right-aligned, text left-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header.map(String), ...rows.map((row) => row.map((cell) => (typeof cell === "number" ? formatNumber(cell) : cell)))];
  const numeric = header.map((_, col) => rows.length > 0 && rows.every((row) => typeof row[col] === "number"));
  const widths = header.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? "").length)));
  const line = (row: readonly string[]) =>
    row.map((cell, col) => (numeric[col] ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

/** `1,234,567` for integers (as en-US writes them), two decimals otherwise. */
export function formatNumber(value: number): string {
  if (!Number.isInteger(value)) return value.toFixed(2);
  // toLocaleString's first call loads ICU's number formats: ~50 ms of every command's summary
  return Math.abs(value) < 1e21 ? String(value).replace(/\B(?=(\d{3})+$)/g, ",") : value.toLocaleString("en-US");
}
