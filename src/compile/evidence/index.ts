import type Database from "better-sqlite3";
import type { EvidencePiece } from "../../records/sample.js";
import type { Trajectory } from "../../records/trajectory.js";
import type { RepoSnapshot } from "../repo.js";
import { extractGenericEvidence } from "./generic.js";
import { extractSearchEvidence } from "./search.js";
import { extractSqlEvidence } from "./sql.js";
import { extractSweEvidence } from "./swe.js";

export interface EvidenceSources {
  repo?: RepoSnapshot;
  database?: Database.Database;
  maxTableChars: number;
  maxDirectoryDistractors: number;
}

/** The pieces of one trajectory, by its domain's rules. */
export function extractEvidence(trajectory: Trajectory, sources: EvidenceSources): EvidencePiece[] {
  switch (trajectory.domain) {
    case "search":
      return extractSearchEvidence(trajectory).pieces();
    case "swe":
      return extractSweEvidence(trajectory, { ...(sources.repo ? { repo: sources.repo } : {}), maxDirectoryDistractors: sources.maxDirectoryDistractors }).pieces();
    case "sql":
      return extractSqlEvidence(trajectory, { ...(sources.database ? { database: sources.database } : {}), maxTableChars: sources.maxTableChars }).pieces();
    case "generic":
      return extractGenericEvidence(trajectory).pieces();
  }
}
