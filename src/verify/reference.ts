import { databasePath } from "../io/database-path.js";
import type { Sample } from "../records/sample.js";

/** What a sample's answers are checked against. */
export type Reference =
  | { kind: "qa"; gold: string; origin: "ground_truth" | "agent_final" }
  | { kind: "sql"; db: string; goldSql: string }
  | { kind: "patch-tests"; base: string }
  | { kind: "patch-gold"; goldPatch: string };

export interface ReferenceSources {
  /** A SQLite file, or a folder of them found by the task's database id. */
  db?: string;
  /** The git repository SWE tasks run in (with `testCommand`). */
  repo?: string;
  testCommand?: string;
}

/** A short name of the reference for tables and outcome records: qa:ground_truth, qa:agent_final, sql, patch-tests, patch-gold. */
export function referenceName(reference: Reference): string {
  return reference.kind === "qa" ? `qa:${reference.origin}` : reference.kind;
}

/**
 * How a sample is verified. SWE: the test command at the base commit when `repo` and `testCommand`
 * are given, else the gold patch. SQL: the gold query on the task's database when both are found,
 * else as QA. Everything else as QA against the ground truth, or, when the task has none, the agent's
 * own final answer (compile keeps only trajectories that did not fail). `unverifiable` says what is missing.
 */
export function referenceOf(sample: Sample, sources: ReferenceSources): Reference | { unverifiable: string } {
  const task = sample.meta.task;
  if (sample.meta.domain === "swe") {
    const base = task.repo?.base_commit;
    if (sources.testCommand !== undefined && sources.repo !== undefined && base !== undefined) return { kind: "patch-tests", base };
    if (task.gold_patch !== undefined) return { kind: "patch-gold", goldPatch: task.gold_patch };
    if (sources.testCommand !== undefined && base === undefined) return { unverifiable: "no base commit to run the tests at, and no gold patch" };
    return { unverifiable: "no gold patch (give --repo and --test-cmd to verify by tests)" };
  }
  if (sample.meta.domain === "sql" && task.gold_sql !== undefined && sources.db !== undefined) {
    const db = databasePath(sources.db, task.database?.db_id, task.database?.path);
    if (db !== undefined) return { kind: "sql", db, goldSql: task.gold_sql };
  }
  if (task.ground_truth !== null && task.ground_truth.trim() !== "") return { kind: "qa", gold: task.ground_truth, origin: "ground_truth" };
  if (sample.target.answer_origin !== "teacher" && sample.target.answer.trim() !== "") return { kind: "qa", gold: sample.target.answer, origin: "agent_final" };
  return { unverifiable: "no ground truth or agent answer to check answers against" };
}
