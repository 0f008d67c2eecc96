import { trajectoryFindings } from "../privacy/trajectory.js";
import { addCounts, type FindingCounts, sortedCounts } from "../privacy/types.js";
import type { Domain } from "../records/trajectory.js";
import { type AuditCounts, addCounts as addAuditCounts, emptyCounts } from "./audit.js";
import type { ImportEvent } from "./run.js";

export interface FormatStats {
  files: number;
  trajectories: number;
  messages: number;
  tool_calls: number;
  tool_result_chars: number;
  domains: Record<Domain, number>;
  rejected_records: number;
  damaged_lines: number;
}

export interface ImportStatsSnapshot {
  files: number;
  skipped_files: number;
  bytes: number;
  read: number;
  imported: number;
  rejected: number;
  damaged_lines: number;
  rejects_by_code: Record<string, number>;
  formats: Record<string, FormatStats>;
  /** Secrets found in the imported trajectories, by type, and how many trajectories had any. */
  secrets: FindingCounts;
  trajectories_with_secrets: number;
  /** Halves of UTF-16 pairs (`\ud800` escapes) replaced with U+FFFD so every output is valid UTF-8, and in how many trajectories. */
  lone_surrogates: number;
  trajectories_with_lone_surrogates: number;
  /** Importer warnings on the imported trajectories, by code (docs/data-model.md#importer-warnings). */
  warnings_by_code: Record<string, number>;
  /** With `--audit`: per format, how much source text the trajectories carry and what was dropped where. */
  audit?: Record<string, AuditCounts>;
}

/** Running totals of an import; `read === imported + rejected` always holds. */
export class ImportStats {
  readonly byFormat = new Map<string, FormatStats>();
  imported = 0;
  rejected = 0;
  damagedLines = 0;
  skippedFiles = 0;
  files = 0;
  bytes = 0;
  readonly rejectsByCode = new Map<string, number>();
  readonly warningsByCode = new Map<string, number>();
  readonly secrets: FindingCounts = {};
  trajectoriesWithSecrets = 0;
  readonly audit = new Map<string, AuditCounts>();
  loneSurrogates = 0;
  trajectoriesWithLoneSurrogates = 0;

  get read(): number {
    return this.imported + this.rejected;
  }

  observe(event: ImportEvent): void {
    switch (event.type) {
      case "file":
        this.files++;
        this.bytes += event.bytes;
        this.format(event.format ?? "(unknown)").files++;
        break;
      case "skip":
        this.skippedFiles++;
        break;
      case "trajectory": {
        const t = event.trajectory;
        const stats = this.format(t.source.format);
        this.imported++;
        stats.trajectories++;
        stats.messages += t.messages.length;
        stats.domains[t.domain]++;
        for (const m of t.messages) {
          if (m.role === "assistant") stats.tool_calls += m.tool_calls.length;
          else if (m.role === "tool") stats.tool_result_chars += m.content.length;
        }
        if (t.warnings !== undefined) for (const w of t.warnings) this.warningsByCode.set(w.code, (this.warningsByCode.get(w.code) ?? 0) + 1);
        if (event.loneSurrogates) {
          this.loneSurrogates += event.loneSurrogates;
          this.trajectoriesWithLoneSurrogates++;
        }
        if (t.secrets !== undefined) {
          addCounts(this.secrets, trajectoryFindings(t));
          this.trajectoriesWithSecrets++;
        }
        break;
      }
      case "audit":
        addAuditCounts(this.auditOf(event.format), event.counts);
        break;
      case "reject": {
        const r = event.reject;
        const stats = this.format(r.format ?? "(unknown)");
        this.rejectsByCode.set(r.code, (this.rejectsByCode.get(r.code) ?? 0) + 1);
        if (r.scope === "record") {
          this.rejected++;
          stats.rejected_records++;
        } else {
          this.damagedLines++;
          stats.damaged_lines++;
        }
        break;
      }
    }
  }

  private auditOf(format: string): AuditCounts {
    let counts = this.audit.get(format);
    if (counts === undefined) this.audit.set(format, (counts = emptyCounts()));
    return counts;
  }

  private format(name: string): FormatStats {
    let stats = this.byFormat.get(name);
    if (stats === undefined) {
      stats = {
        files: 0,
        trajectories: 0,
        messages: 0,
        tool_calls: 0,
        tool_result_chars: 0,
        domains: { search: 0, swe: 0, sql: 0, generic: 0 },
        rejected_records: 0,
        damaged_lines: 0,
      };
      this.byFormat.set(name, stats);
    }
    return stats;
  }

  /** Adds totals counted elsewhere (another worker's chunk). */
  add(other: ImportStatsSnapshot): void {
    this.imported += other.imported;
    this.rejected += other.rejected;
    this.damagedLines += other.damaged_lines;
    this.skippedFiles += other.skipped_files;
    this.files += other.files;
    this.bytes += other.bytes;
    for (const [code, n] of Object.entries(other.rejects_by_code)) this.rejectsByCode.set(code, (this.rejectsByCode.get(code) ?? 0) + n);
    for (const [code, n] of Object.entries(other.warnings_by_code)) this.warningsByCode.set(code, (this.warningsByCode.get(code) ?? 0) + n);
    addCounts(this.secrets, other.secrets);
    this.trajectoriesWithSecrets += other.trajectories_with_secrets;
    this.loneSurrogates += other.lone_surrogates;
    this.trajectoriesWithLoneSurrogates += other.trajectories_with_lone_surrogates;
    for (const [format, counts] of Object.entries(other.audit ?? {})) addAuditCounts(this.auditOf(format), counts);
    for (const [name, theirs] of Object.entries(other.formats)) {
      const mine = this.format(name);
      for (const key of ["files", "trajectories", "messages", "tool_calls", "tool_result_chars", "rejected_records", "damaged_lines"] as const) {
        mine[key] += theirs[key];
      }
      for (const domain of Object.keys(mine.domains) as Domain[]) mine.domains[domain] += theirs.domains[domain];
    }
  }

  toJSON(): ImportStatsSnapshot {
    return {
      files: this.files,
      skipped_files: this.skippedFiles,
      bytes: this.bytes,
      read: this.read,
      imported: this.imported,
      rejected: this.rejected,
      damaged_lines: this.damagedLines,
      rejects_by_code: Object.fromEntries([...this.rejectsByCode].sort()),
      formats: Object.fromEntries([...this.byFormat].sort(([a], [b]) => a.localeCompare(b))),
      secrets: sortedCounts(this.secrets),
      trajectories_with_secrets: this.trajectoriesWithSecrets,
      lone_surrogates: this.loneSurrogates,
      trajectories_with_lone_surrogates: this.trajectoriesWithLoneSurrogates,
      warnings_by_code: Object.fromEntries([...this.warningsByCode].sort()),
      ...(this.audit.size > 0 ? { audit: Object.fromEntries([...this.audit].sort(([a], [b]) => a.localeCompare(b))) } : {}),
    };
  }
}
