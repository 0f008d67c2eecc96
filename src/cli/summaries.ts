import type { ImportStats } from "../import/stats.js";
import { renderTable } from "./table.js";

/** The per-format table and the closing totals line shared by `import` and `inspect`. */
export function importSummary(stats: ImportStats, rejectsPath?: string): string {
  const rows = [...stats.byFormat].sort(([a], [b]) => a.localeCompare(b)).map(([format, s]) => [
    format,
    s.files,
    s.trajectories,
    s.messages,
    s.tool_calls,
    s.tool_result_chars,
    Object.entries(s.domains).filter(([, n]) => n > 0).map(([d, n]) => `${d}:${n}`).join(" ") || "-",
    s.rejected_records,
    s.damaged_lines,
  ]);
  const table = renderTable(
    ["format", "files", "trajectories", "messages", "tool calls", "tool-result chars", "domains", "rejected", "damaged lines"],
    rows,
  );
  const totals =
    `read ${stats.read} = imported ${stats.imported} + rejected ${stats.rejected}` +
    (stats.damagedLines > 0 ? `; ${stats.damagedLines} damaged lines skipped inside imported records` : "") +
    (stats.skippedFiles > 0 ? `; ${stats.skippedFiles} non-JSON files skipped` : "") +
    (rejectsPath ? `\nrejects: ${rejectsPath}` : "");
  return `${table}\n${totals}`;
}
