import Database from "better-sqlite3";
import type { Trajectory } from "../../records/trajectory.js";
import { type SqlParse, tablesInSql } from "../sql-tables.js";
import { argumentText, callsWithResults, nameTokens, PieceSet } from "./common.js";

const SQL_KEYS = ["sql", "query", "statement", "sql_query", "command", "cmd", "code"];
const SQL_START = /^\s*(?:select|with|pragma|explain|insert|update|delete|create|drop|alter)\b/i;

export interface SqlEvidenceOptions {
  /** An open read-only database: its tables are rendered in full. */
  database?: Database.Database;
  /** Stop rendering a table past this many characters (it could never fit a budget anyway). */
  maxTableChars: number;
  /** Counts how each statement's tables were read (parsed, by the SQLite grammar, or not at all). */
  onStatement?: (parse: SqlParse) => void;
}

/** SQL texts the agent ran: SQL tool arguments and sqlite3 command lines, plus its submitted SQL. */
export function sqlStatements(trajectory: Trajectory): { sql: string; messageIndex: number; callId?: string; result?: string }[] {
  const out: { sql: string; messageIndex: number; callId?: string; result?: string }[] = [];
  for (const { call, messageIndex, result } of callsWithResults(trajectory)) {
    const text = argumentText(call, SQL_KEYS);
    if (text === undefined) continue;
    const tokens = nameTokens(call.name);
    const sql = SQL_START.test(text) ? text : sqliteCommand(text);
    if (sql === undefined && !tokens.some((t) => t === "sql" || t === "query")) continue;
    out.push({ sql: sql ?? text, messageIndex, callId: call.id, ...(result && !result.isError ? { result: result.content } : {}) });
  }
  if (trajectory.outcome.submitted_sql) out.push({ sql: trajectory.outcome.submitted_sql, messageIndex: trajectory.messages.length - 1 });
  return out;
}

function sqliteCommand(command: string): string | undefined {
  const match = /\bsqlite3\b[^"']*["']([\s\S]+?)["']\s*$/m.exec(command);
  return match?.[1];
}

/**
 * SQL agents: with a database, the complete content of every table the agent queried is evidence
 * and the database's other tables are distractors; without one, the query results in the log.
 */
export function extractSqlEvidence(trajectory: Trajectory, options: SqlEvidenceOptions): PieceSet {
  const pieces = new PieceSet(trajectory.id);
  const statements = sqlStatements(trajectory);
  if (options.database === undefined) {
    for (const s of statements) {
      if (s.result === undefined) continue;
      pieces.add({ kind: "query-result", source: s.sql.slice(0, 200), text: `Query: ${s.sql}\nResult:\n${s.result}`, role: "evidence", messageIndex: s.messageIndex, ...(s.callId ? { callId: s.callId } : {}) });
    }
    return pieces;
  }
  const tables = listTables(options.database);
  const byName = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
  const queried = new Map<string, { messageIndex: number; callId?: string }>();
  for (const s of statements) {
    const { tables: names, parse } = tablesInSql(s.sql);
    options.onStatement?.(parse);
    for (const name of names) {
      const table = byName.get(name.toLowerCase());
      if (table && !queried.has(table.name)) queried.set(table.name, { messageIndex: s.messageIndex, ...(s.callId ? { callId: s.callId } : {}) });
    }
  }
  for (const table of tables) {
    const origin = queried.get(table.name);
    pieces.add({
      kind: "table",
      source: table.name,
      text: renderedTable(options.database, table, options.maxTableChars),
      role: origin ? "evidence" : "distractor",
      ...(origin ? { messageIndex: origin.messageIndex, ...(origin.callId ? { callId: origin.callId } : {}) } : {}),
    });
  }
  return pieces;
}

interface TableInfo {
  name: string;
  sql: string;
}

function listTables(db: Database.Database): TableInfo[] {
  return db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as TableInfo[];
}

/**
 * Rendered tables of each open (read-only) database, so a database shared by many trajectories is read
 * once per table rather than once per trajectory and pass. Released with the database handle.
 */
const rendered = new WeakMap<Database.Database, Map<string, string>>();

function renderedTable(db: Database.Database, table: TableInfo, maxChars: number): string {
  let tables = rendered.get(db);
  if (tables === undefined) {
    tables = new Map();
    rendered.set(db, tables);
  }
  const key = `${maxChars}\u0000${table.name}`;
  let text = tables.get(key);
  if (text === undefined) {
    text = renderTable(db, table, maxChars);
    tables.set(key, text);
  }
  return text;
}

/** `Table: name`, its CREATE statement, then every row as `a | b | c` under a header (NULL for nulls). */
export function renderTable(db: Database.Database, table: TableInfo, maxChars: number): string {
  const statement = db.prepare(`SELECT * FROM "${table.name.replaceAll('"', '""')}"`);
  const columns = statement.columns().map((c) => c.name);
  const lines = [`Table: ${table.name}`, `${table.sql.trim()};`, columns.join(" | ")];
  let size = lines.reduce((n, l) => n + l.length + 1, 0);
  let rows = 0;
  for (const row of statement.raw().iterate() as Iterable<unknown[]>) {
    const line = row.map(formatValue).join(" | ");
    lines.push(line);
    rows++;
    size += line.length + 1;
    if (size > maxChars) {
      lines.push(`[table cut after ${rows} rows: larger than any budget]`);
      break;
    }
  }
  return lines.join("\n");
}

function formatValue(value: unknown): string {
  if (value === null) return "NULL";
  if (Buffer.isBuffer(value)) return `<blob ${value.length} bytes>`;
  return String(value).replaceAll("\n", "\\n");
}
