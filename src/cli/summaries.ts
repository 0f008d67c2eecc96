import { AccError } from "../errors/acc-error.js";
import { type AuditCounts, droppedByReason, topDropped, unexplainedChars } from "../import/audit.js";
import type { ImportStats } from "../import/stats.js";
import { type FindingCounts, type RedactMode, SECRET_TYPES } from "../privacy/types.js";
import { renderTable } from "./table.js";

/**
 * The per-format table and the closing totals line shared by `import` and `inspect`, then (when
 * redaction ran) the secrets by type.
 */
export function importSummary(stats: ImportStats, rejectsPath?: string, redact: RedactMode = "off"): string {
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
    (stats.loneSurrogates > 0
      ? `\nlone UTF-16 surrogates replaced with U+FFFD: ${stats.loneSurrogates} in ${stats.trajectoriesWithLoneSurrogates} trajectories`
      : "") +
    warningsLine(stats.warningsByCode) +
    (rejectsPath ? `\nrejects: ${rejectsPath}` : "");
  const secrets = secretsSummary(stats.secrets, stats.trajectoriesWithSecrets, redact);
  return `${table}\n${totals}${secrets ? `\n${secrets}` : ""}`;
}

/** The importer warnings by code, most frequent first (docs/data-model.md#importer-warnings), or nothing when there were none. */
function warningsLine(byCode: ReadonlyMap<string, number>): string {
  if (byCode.size === 0) return "";
  const counts = [...byCode].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1));
  return `\nimporter warnings: ${counts.map(([code, n]) => `${code} ${n}`).join(", ")}`;
}

/**
 * Findings by type, or one line saying there were none; empty when redaction was off. `evidence`:
 * what compile found in files and tables read from `--repo` and `--db`, added to the table and totalled apart.
 */
export function secretsSummary(counts: FindingCounts, trajectories: number, redact: RedactMode, evidence: FindingCounts = {}): string {
  if (redact === "off") return "";
  const verb = redact === "on" ? "redacted" : "found (report only, not redacted)";
  const sum = (c: FindingCounts) => Object.values(c).reduce((n, k) => n + (k ?? 0), 0);
  const rows = SECRET_TYPES.filter((type) => counts[type] || evidence[type]).map((type) => [type, (counts[type] ?? 0) + (evidence[type] ?? 0)]);
  if (rows.length === 0) return `secrets ${verb}: none`;
  const inTrajectories = `${sum(counts)} in ${trajectories} trajectories`;
  const total = sum(evidence) === 0 ? inTrajectories : `${sum(counts) + sum(evidence)} (${inTrajectories}, ${sum(evidence)} in evidence read from --repo and --db)`;
  return `${renderTable(["secret type", "count"], rows)}\nsecrets ${verb}: ${total}`;
}

const DROP_REASONS = ["structure", "bookkeeping", "duplicate", "noise"] as const;
/** Dropped paths listed per format: every unexplained one up to this many, then the largest explained ones. */
const PATHS_PER_FORMAT = 8;

/**
 * The lossless audit (`acc import --audit`): per format, the share of source text the trajectories carry
 * and the characters dropped by reason; then the largest dropped paths, unexplained ones first and flagged.
 */
export function auditSummary(audit: ReadonlyMap<string, AuditCounts>): string {
  const formats = [...audit].filter(([, counts]) => counts.source_chars > 0).sort(([a], [b]) => a.localeCompare(b));
  if (formats.length === 0) return "audit: no records were imported, nothing to audit";
  const rows = formats.map(([format, counts]) => {
    const dropped = droppedByReason(counts);
    return [
      format,
      counts.records,
      counts.source_chars,
      `${((100 * counts.carried_chars) / counts.source_chars).toFixed(2)}%`,
      ...DROP_REASONS.map((reason) => dropped[reason] ?? 0),
      unexplainedChars(counts),
    ];
  });
  const table = renderTable(["format", "records", "source chars", "carried", ...DROP_REASONS, "unexplained"], rows);
  const paths = formats.flatMap(([format, counts]) =>
    topDropped(counts, PATHS_PER_FORMAT).map((d) => [
      format,
      d.chars,
      d.reason ?? "UNEXPLAINED",
      d.path,
      d.reason === null ? JSON.stringify(d.example ?? "") : (d.note ?? ""),
    ]),
  );
  const lost = formats.reduce((n, [, counts]) => n + unexplainedChars(counts), 0);
  const verdict =
    lost === 0
      ? "audit: every dropped text is explained by its importer's rules"
      : `audit: ${lost} characters dropped with no rule to explain them (UNEXPLAINED above): text the importer loses`;
  const list = paths.length > 0 ? `\ndropped paths (largest first, unexplained on top)\n${renderTable(["format", "chars", "reason", "path", "note or example"], paths)}` : "";
  return `${table}${list}\n${verdict}`;
}

/** The error of an import (or inspect) in which nothing was imported: no log found, or every record rejected. */
export function nothingImported(inputs: readonly string[], stats: ImportStats, rejectsPath: string | undefined): AccError | undefined {
  if (stats.imported > 0) return undefined;
  const where = inputs.length === 1 ? inputs[0]! : `${inputs.length} inputs`;
  if (stats.read === 0) {
    const skipped = stats.skippedFiles > 0 ? ` (${stats.skippedFiles} files skipped: not JSON or JSONL)` : "";
    return new AccError(`no agent logs in ${where}${skipped}`, { code: "no-records", fix: "see `acc formats` for the logs acc reads" });
  }
  const codes = [...stats.rejectsByCode].sort(([, a], [, b]) => b - a).map(([code, n]) => `${code}:${n}`).join(" ");
  const all = stats.read === 1 ? "its one record was rejected" : `all ${stats.read} records were rejected`;
  return new AccError(`nothing imported from ${where}: ${all} (${codes})`, {
    code: "no-records",
    fix: rejectsPath ? `see ${rejectsPath} for each record's file, line and reason` : "rerun with --rejects <file> to list each record's file, line and reason",
  });
}
