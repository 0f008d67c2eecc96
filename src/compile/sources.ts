import Database from "better-sqlite3";
import { databasePath } from "../io/database-path.js";
import type { Trajectory } from "../records/trajectory.js";
import type { EvidenceSources } from "./evidence/index.js";
import { goldPatch } from "./evidence/swe.js";
import { RepoSnapshot } from "./repo.js";

export interface SourceOptions {
  /**
   * A git repository; patched files are read at the task's base commit, or when the trajectory records
   * none, at the newest commit its patch applies to (never at HEAD unchecked: HEAD may hold the fix).
   */
  repo?: string;
  /** A SQLite file, or a folder of them found by the task's database id (`<id>.sqlite`, `<id>/<id>.sqlite`, `.db`). */
  db?: string;
  maxTableChars: number;
  maxDirectoryDistractors: number;
}

/** Opens (once) the repository snapshot and database a trajectory refers to. */
export class SourceResolver {
  private readonly databases = new Map<string, Database.Database | undefined>();
  private readonly snapshots = new Map<string, RepoSnapshot | undefined>();
  /** Bases derived from patches, by patch text. */
  private readonly derived = new Map<string, string | undefined>();

  constructor(private readonly options: SourceOptions) {}

  /** The sources of one trajectory; without a database or a repository base it falls back to the log. */
  for(trajectory: Trajectory): EvidenceSources {
    const sources: EvidenceSources = { maxTableChars: this.options.maxTableChars, maxDirectoryDistractors: this.options.maxDirectoryDistractors };
    if (trajectory.domain === "swe" && this.options.repo) {
      const recorded = trajectory.task.repo?.base_commit;
      const base = recorded ?? this.derivedBase(trajectory);
      const repo = base === undefined ? undefined : this.snapshot(base);
      if (repo) sources.repo = repo;
      sources.repoBase = recorded !== undefined ? (repo ? "recorded" : "recorded-missing") : repo ? "derived" : "unknown";
    }
    if (trajectory.domain === "sql" && this.options.db) {
      const database = this.database(trajectory);
      if (database) sources.database = database;
    }
    return sources;
  }

  close(): void {
    for (const db of this.databases.values()) db?.close();
  }

  /** The newest commit of the repository the trajectory's patch applies to, or undefined (no patch, or none). */
  private derivedBase(trajectory: Trajectory): string | undefined {
    const patch = goldPatch(trajectory);
    if (patch === null || patch.trim() === "") return undefined;
    if (!this.derived.has(patch)) this.derived.set(patch, RepoSnapshot.baseFor(this.options.repo!, "HEAD", patch));
    return this.derived.get(patch);
  }

  private snapshot(ref: string): RepoSnapshot | undefined {
    if (!this.snapshots.has(ref)) {
      try {
        this.snapshots.set(ref, RepoSnapshot.open(this.options.repo!, ref));
      } catch {
        this.snapshots.set(ref, undefined);
      }
    }
    return this.snapshots.get(ref);
  }

  private database(trajectory: Trajectory): Database.Database | undefined {
    const path = databasePath(this.options.db!, trajectory.task.database?.db_id, trajectory.task.database?.path);
    if (path === undefined) return undefined;
    if (!this.databases.has(path)) this.databases.set(path, new Database(path, { readonly: true, fileMustExist: true }));
    return this.databases.get(path);
  }
}
