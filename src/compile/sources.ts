import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Trajectory } from "../records/trajectory.js";
import type { EvidenceSources } from "./evidence/index.js";
import { RepoSnapshot } from "./repo.js";

export interface SourceOptions {
  /** A git repository; patched files are read at the task's base commit (HEAD when unknown). */
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
  /** Trajectories whose base commit or database could not be found (they fall back to the log). */
  misses = 0;

  constructor(private readonly options: SourceOptions) {}

  for(trajectory: Trajectory): EvidenceSources {
    const sources: EvidenceSources = { maxTableChars: this.options.maxTableChars, maxDirectoryDistractors: this.options.maxDirectoryDistractors };
    if (trajectory.domain === "swe" && this.options.repo) {
      const repo = this.snapshot(trajectory.task.repo?.base_commit ?? "HEAD");
      if (repo) sources.repo = repo;
      else this.misses++;
    }
    if (trajectory.domain === "sql" && this.options.db) {
      const database = this.database(trajectory);
      if (database) sources.database = database;
      else this.misses++;
    }
    return sources;
  }

  close(): void {
    for (const db of this.databases.values()) db?.close();
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

/** The SQLite file of a task: `db` itself when it is a file, else found in the folder by path or database id. */
export function databasePath(db: string, id: string | undefined, path: string | undefined): string | undefined {
  if (!statSync(db).isDirectory()) return db;
  const candidates = [
    ...(path ? [join(db, path)] : []),
    ...(id ? [".sqlite", ".db", ".sqlite3"].flatMap((ext) => [join(db, `${id}${ext}`), join(db, id, `${id}${ext}`)]) : []),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}
