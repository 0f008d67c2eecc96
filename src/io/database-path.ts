import { existsSync, statSync } from "node:fs";
import { join } from "node:path";

/** The SQLite file of a task: `db` itself when it is a file, else found in the folder by path or database id. */
export function databasePath(db: string, id: string | undefined, path: string | undefined): string | undefined {
  if (!statSync(db).isDirectory()) return db;
  const candidates = [
    ...(path ? [join(db, path)] : []),
    ...(id ? [".sqlite", ".db", ".sqlite3"].flatMap((ext) => [join(db, `${id}${ext}`), join(db, id, `${id}${ext}`)]) : []),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}
