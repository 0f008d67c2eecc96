import { withTypedWarnings } from "../records/import-warning.js";
import { Trajectory } from "../records/trajectory.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { rowsImporter, ShapeError } from "./common/rows.js";
import type { DraftMessage, TrajectoryDraft } from "./types.js";

/**
 * acc's own trajectory records (the output of `acc import`), so stages can be chained through files.
 * The record is re-validated and re-finished; its id, source and domain are kept as they were.
 */
export const accTrajectoryImporter = rowsImporter({
  format: "acc-trajectory",
  description: "acc's canonical trajectories (the output of acc import), one per line",
  detectRow(row) {
    return row.schema === "acc.trajectory" ? 1 : 0;
  },
  convertRow(row, locator): TrajectoryDraft {
    const result = validateFast(Trajectory, withTypedWarnings(row));
    if (!result.ok) throw new ShapeError(`not a valid acc trajectory: ${formatProblems(result.problems)}`);
    const t = result.value;
    return {
      locator,
      keep: { id: t.id, source: t.source, domain: t.domain, domain_origin: t.domain_origin, ...(t.secrets ? { secrets: t.secrets } : {}) },
      ...(t.source.format_version !== undefined ? { format_version: t.source.format_version } : {}),
      ...(t.model !== undefined ? { model: t.model } : {}),
      task: t.task,
      ...(t.tools !== undefined ? { tools: t.tools } : {}),
      messages: t.messages as DraftMessage[],
      final: t.final,
      outcome: t.outcome,
      events: t.events,
      subagents: t.subagents,
      ...(t.parent !== undefined ? { parent: t.parent } : {}),
      ...(t.warnings !== undefined ? { warnings: t.warnings } : {}),
      extra: t.extra,
    };
  },
});
