// The process that runs SqliteProcesses' statements (the SQL environment's tools, the sql verifier's
// queries). It lives apart because a better-sqlite3 statement cannot be interrupted from JavaScript: the
// parent kills this process when a statement overruns its time, and starts it under a memory limit
// (RLIMIT_DATA: SQLite is built without the memory accounting its own heap limit needs) and passes the
// limit of one result's size (process.argv[2], in bytes): no result larger than it reaches acc. Each request opens
// its own read-only connection, so no setting or temporary object outlives a statement; only statements
// classified as read-only are ever prepared (sqlite-statement.ts).
import Database from "better-sqlite3";
import { AccError } from "../errors/acc-error.js";
import { classifyStatement } from "./sqlite-statement.js";
import type { ErrorCode } from "../errors/codes.js";

export type SqlRequest =
  | { id: number; kind: "tables"; db: string }
  | { id: number; kind: "describe"; db: string; table: string; sampleRows: number; maxCellChars: number }
  /** Without `maxCellChars` cells come back as stored (blobs as bytes); `more` tells that rows past `maxRows` exist. */
  | { id: number; kind: "query"; db: string; sql: string; maxRows: number; maxCellChars?: number };

export interface TableDescription {
  columns: { name: string; type: string; notnull: boolean; pk: boolean }[];
  foreignKeys: { from: string; table: string; to: string }[];
  rows: number;
  sample: unknown[][];
}

export type SqlReply =
  | { id: number; ok: true; tables: string[] }
  | { id: number; ok: true; description: TableDescription | null }
  | { id: number; ok: true; columns: string[]; rows: unknown[][]; more: boolean }
  | { id: number; ok: false; code: "sql-error" | "not-a-query" | "result-too-large"; message: string };

/** Bytes of values one reply may carry (strings count their length); set by the parent. */
const RESULT_BYTES = Number(process.argv[2]);

/** A result past RESULT_BYTES: the statement stops there and its reply says why. */
class ResultTooLarge extends AccError {
  protected override defaultCode(): ErrorCode {
    return "result-too-large";
  }
  override name = "ResultTooLarge";
}

const sizeOf = (value: unknown): number => (typeof value === "string" ? value.length : value instanceof Uint8Array ? value.byteLength : 8);

/**
 * A fresh read-only connection: query_only as a second lock, the schema's own functions untrusted (a hostile
 * database's views and triggers cannot call functions with side effects), sorts and temporary tables in
 * memory (under the process's limit) instead of temporary files.
 */
function open(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("query_only = 1");
  db.pragma("trusted_schema = 0");
  db.pragma("temp_store = MEMORY");
  return db;
}

/** Long text and blobs are cut in the child, so a huge cell never crosses the process boundary. */
function cell(value: unknown, maxChars: number): unknown {
  if (typeof value === "string" && value.length > maxChars) return `${value.slice(0, maxChars)}…`;
  if (value instanceof Uint8Array) return `<blob, ${value.length} bytes>`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * The first `maxRows` rows, their values cut to `maxCellChars` when given. The values kept count against
 * RESULT_BYTES as the rows come: a statement producing more stops at the first row past it.
 */
function rowsOf(statement: Database.Statement, maxRows: number, maxCellChars: number | undefined, params: unknown[] = []): { rows: unknown[][]; more: boolean } {
  statement.raw(true);
  const rows: unknown[][] = [];
  let bytes = 0;
  for (const row of statement.iterate(...params) as IterableIterator<unknown[]>) {
    if (rows.length >= maxRows) return { rows, more: true };
    const kept = maxCellChars === undefined ? row : row.map((value) => cell(value, maxCellChars));
    bytes += kept.reduce<number>((sum, value) => sum + sizeOf(value), 0);
    if (bytes > RESULT_BYTES) throw new ResultTooLarge(`the first ${rows.length + 1} rows hold more than the limit of ${RESULT_BYTES} bytes for one result (strings count their length)`);
    rows.push(kept);
  }
  return { rows, more: false };
}

function describe(db: Database.Database, table: string, sampleRows: number, maxCellChars: number): TableDescription | null {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?").get(table);
  if (!exists) return null;
  const quoted = `"${table.replace(/"/g, '""')}"`;
  const info = db.prepare(`PRAGMA table_info(${quoted})`).all() as { name: string; type: string; notnull: number; pk: number }[];
  const keys = db.prepare(`PRAGMA foreign_key_list(${quoted})`).all() as { from: string; table: string; to: string | null }[];
  const count = db.prepare(`SELECT count(*) FROM ${quoted}`).pluck().get() as number;
  return {
    columns: info.map((c) => ({ name: c.name, type: c.type, notnull: c.notnull === 1, pk: c.pk > 0 })),
    foreignKeys: keys.map((k) => ({ from: k.from, table: k.table, to: k.to ?? "" })),
    rows: count,
    sample: rowsOf(db.prepare(`SELECT * FROM ${quoted} LIMIT ?`), sampleRows, maxCellChars, [sampleRows]).rows,
  };
}

function answer(db: Database.Database, request: SqlRequest): SqlReply {
  const { id } = request;
  switch (request.kind) {
    case "tables": {
      const names = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
      return { id, ok: true, tables: names };
    }
    case "describe":
      return { id, ok: true, description: describe(db, request.table, request.sampleRows, request.maxCellChars) };
    case "query": {
      const statement = db.prepare(request.sql);
      if (!statement.reader) return { id, ok: false, code: "not-a-query", message: "only statements that return rows are run (the database is read-only)" };
      const { rows, more } = rowsOf(statement, request.maxRows, request.maxCellChars);
      return { id, ok: true, columns: statement.columns().map((column) => column.name), rows, more };
    }
  }
}

function run(request: SqlRequest): SqlReply {
  if (request.kind === "query") {
    const verdict = classifyStatement(request.sql);
    if (!verdict.ok) return { id: request.id, ok: false, code: "not-a-query", message: verdict.reason };
  }
  let db: Database.Database | undefined;
  try {
    db = open(request.db);
    return answer(db, request);
  } catch (error) {
    return { id: request.id, ok: false, code: error instanceof ResultTooLarge ? "result-too-large" : "sql-error", message: (error as Error).message };
  } finally {
    db?.close();
  }
}

process.on("message", (request: SqlRequest) => process.send!(run(request)));
// the parent starts a statement's clock only once the process is up (starting can be slow on a busy machine)
process.send!({ ready: true });
// the parent going away ends the child
process.on("disconnect", () => process.exit(0));
