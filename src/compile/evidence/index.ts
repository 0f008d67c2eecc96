import type Database from "better-sqlite3";
import type { EvidencePiece } from "../../records/sample.js";
import type { Trajectory } from "../../records/trajectory.js";
import type { RepoSnapshot } from "../repo.js";
import type { SqlParse } from "../sql-tables.js";
import { extractGenericEvidence } from "./generic.js";
import { extractSearchEvidence } from "./search.js";
import { extractSqlEvidence } from "./sql.js";
import { extractSweEvidence } from "./swe.js";

/**
 * Where a SWE trajectory's repository files were read: at the base commit it `recorded`, at a base
 * `derived` from its patch (the newest commit the patch applies to), or nowhere, because the recorded
 * base is not in the repository (`recorded-missing`) or no base could be found (`unknown`).
 */
export type RepoBase = "recorded" | "derived" | "recorded-missing" | "unknown";

export interface EvidenceSources {
  repo?: RepoSnapshot;
  /** How `repo` was chosen (SWE trajectories with `--repo`). */
  repoBase?: RepoBase;
  database?: Database.Database;
  maxTableChars: number;
  maxDirectoryDistractors: number;
  /** Counts how each SQL statement's tables were read. */
  onSqlStatement?: (parse: SqlParse) => void;
}

/** The pieces of one trajectory, by its domain's rules. */
export function extractEvidence(trajectory: Trajectory, sources: EvidenceSources): EvidencePiece[] {
  switch (trajectory.domain) {
    case "search":
      return extractSearchEvidence(trajectory).pieces();
    case "swe":
      return extractSweEvidence(trajectory, { ...(sources.repo ? { repo: sources.repo } : {}), maxDirectoryDistractors: sources.maxDirectoryDistractors }).pieces();
    case "sql":
      return extractSqlEvidence(trajectory, {
        ...(sources.database ? { database: sources.database } : {}),
        maxTableChars: sources.maxTableChars,
        ...(sources.onSqlStatement ? { onStatement: sources.onSqlStatement } : {}),
      }).pieces();
    case "generic":
      return extractGenericEvidence(trajectory).pieces();
  }
}
