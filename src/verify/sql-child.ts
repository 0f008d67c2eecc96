// A child process that runs read-only queries for SqlRunner. It lives in its own process because a
// better-sqlite3 query cannot be interrupted from JavaScript: the parent SIGKILLs it at the time limit.
import Database from "better-sqlite3";

export interface QueryMessage {
  db: string;
  sql: string;
  maxRows: number;
}

/** The child's first message is "ready"; then one reply per query. */
export type QueryReply =
  | { ok: true; columns: string[]; rows: unknown[][] }
  | { ok: false; code: "sql-error" | "not-a-query" | "result-too-large"; message: string };

const databases = new Map<string, Database.Database>();

function open(path: string): Database.Database {
  let db = databases.get(path);
  if (!db) {
    db = new Database(path, { readonly: true, fileMustExist: true });
    databases.set(path, db);
  }
  return db;
}

function run(message: QueryMessage): QueryReply {
  try {
    const statement = open(message.db).prepare(message.sql);
    if (!statement.reader) return { ok: false, code: "not-a-query", message: "the statement returns no rows (only queries are run)" };
    statement.raw(true);
    const rows: unknown[][] = [];
    for (const row of statement.iterate() as IterableIterator<unknown[]>) {
      if (rows.length >= message.maxRows) return { ok: false, code: "result-too-large", message: `more than ${message.maxRows} rows` };
      rows.push(row);
    }
    return { ok: true, columns: statement.columns().map((column) => column.name), rows };
  } catch (error) {
    return { ok: false, code: "sql-error", message: (error as Error).message };
  }
}

process.on("message", (message: QueryMessage) => process.send!(run(message)));
process.send!("ready");
// the parent going away ends the child
process.on("disconnect", () => process.exit(0));
