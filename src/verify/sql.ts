import { closeEnough, normalizeAnswer, type QaOptions, writtenNumbers } from "./qa.js";
import type { SqliteProcesses } from "../run/sqlite-process.js";
import { excerpt, fail, pass, type Verdict } from "./types.js";

export interface SqlCheck {
  /** The SQLite database file (opened read-only). */
  db: string;
  goldSql: string;
  /** The candidate's query; when absent, `candidateValue` is compared with the gold query's result. */
  candidateSql?: string;
  candidateValue?: string;
}

export type QueryOutcome =
  | { ok: true; columns: string[]; rows: unknown[][] }
  | { ok: false; code: "sql-error" | "not-a-query" | "result-too-large" | "sql-timeout"; message: string };

/** Rows a result may have before the query is refused (a runaway join must not exhaust memory). */
export const MAX_RESULT_ROWS = 1_000_000;
/** Gold results cached per database and query (a sample's candidates share one gold). */
const GOLD_CACHE_ENTRIES = 256;
/** Value answers are compared only with gold results this small; larger ones need the query. */
const MAX_VALUE_CELLS = 100;

/** Text with string literals, quoted identifiers and comments blanked out (same length, so positions hold). */
function codeOnly(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (match) => " ".repeat(match.length));
}

/** Whether the query's outermost SELECT has an ORDER BY (one inside a subquery does not order the result). */
export function hasTopLevelOrderBy(sql: string): boolean {
  let depth = 0;
  let outer = "";
  for (const char of codeOnly(sql)) {
    if (char === "(") depth++;
    else if (char === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) outer += char;
  }
  return /\border\s+by\b/i.test(outer);
}

/** One cell as a comparable string: integers and floats by value (floats to 12 significant digits), text exactly. */
export function canonicalCell(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `x'${Buffer.from(value).toString("hex")}'`;
  return JSON.stringify(String(value));
}

const rowKey = (row: readonly unknown[]) => row.map(canonicalCell).join("\u0001");
const showRow = (row: readonly unknown[]) => `(${row.map(canonicalCell).join(", ")})`;

/**
 * Two query results compared as multisets of rows (column order matters, column names do not); as
 * sequences when `ordered` (the gold query has ORDER BY).
 */
export function compareResults(candidate: readonly unknown[][], gold: readonly unknown[][], ordered: boolean): Verdict {
  const width = (rows: readonly unknown[][]) => rows[0]?.length ?? 0;
  if (candidate.length > 0 && gold.length > 0 && width(candidate) !== width(gold)) {
    return fail("mismatch", `the result has ${width(candidate)} columns, the gold ${width(gold)}`, 0);
  }
  if (ordered) {
    const at = gold.findIndex((row, i) => candidate[i] === undefined || rowKey(candidate[i]!) !== rowKey(row));
    if (at === -1 && candidate.length === gold.length) return pass("result-match", `the same ${gold.length} rows in the same order`, 1);
    if (at === -1) return fail("mismatch", `${candidate.length} rows, the gold ${gold.length}; the first ${gold.length} agree`);
    const sameMultiset = candidate.length === gold.length && compareResults(candidate, gold, false).pass;
    const where = `row ${at + 1}: ${candidate[at] ? showRow(candidate[at]!) : "(none)"} vs gold ${showRow(gold[at]!)}`;
    return fail("mismatch", sameMultiset ? `the right rows in the wrong order (the gold has ORDER BY); ${where}` : `rows differ at ${where}`);
  }
  const counts = new Map<string, number>();
  for (const row of gold) counts.set(rowKey(row), (counts.get(rowKey(row)) ?? 0) + 1);
  const extra: unknown[][] = [];
  for (const row of candidate) {
    const key = rowKey(row);
    const left = counts.get(key) ?? 0;
    if (left > 0) counts.set(key, left - 1);
    else extra.push(row);
  }
  const missing = gold.length - (candidate.length - extra.length);
  if (missing === 0 && extra.length === 0) return pass("result-match", `the same ${gold.length} rows`, 1);
  const firstMissing = gold.find((row) => (counts.get(rowKey(row)) ?? 0) > 0);
  const parts = [
    `${candidate.length} rows, the gold ${gold.length}`,
    missing > 0 && firstMissing ? `${missing} gold rows missing, e.g. ${showRow(firstMissing)}` : "",
    extra.length > 0 ? `${extra.length} rows not in the gold, e.g. ${showRow(extra[0]!)}` : "",
  ];
  const union = gold.length + extra.length;
  return fail("mismatch", parts.filter(Boolean).join("; "), union === 0 ? 0 : (gold.length - missing) / union);
}

/** Whether the answer states a cell: its number (at the precision the answer wrote, or within the tolerance), or its words in order. */
function cellStated(cell: unknown, answer: string, tolerance: number): boolean {
  const numeric = typeof cell === "number" ? cell : typeof cell === "bigint" ? Number(cell) : undefined;
  if (numeric !== undefined) {
    return writtenNumbers(answer).some(({ value, decimals }) => closeEnough(value, numeric, tolerance) || Math.abs(value - numeric) <= 0.5 * 10 ** -decimals);
  }
  const words = normalizeAnswer(String(cell));
  return words !== "" && ` ${normalizeAnswer(answer)} `.includes(` ${words} `);
}

/** Runs gold and candidate queries in SQLite processes and compares them (or a value with the gold result). */
export class SqlVerifier {
  private readonly golds = new Map<string, Promise<QueryOutcome>>();

  constructor(
    private readonly processes: SqliteProcesses,
    private readonly timeoutMs: number,
    private readonly qa: QaOptions,
  ) {}

  async verify(check: SqlCheck): Promise<Verdict> {
    const gold = await this.gold(check.db, check.goldSql);
    if (!gold.ok) return fail("gold-sql-error", `the gold query failed: ${gold.code}: ${gold.message}`);
    if (check.candidateSql !== undefined) {
      const result = await this.query(check.db, check.candidateSql);
      if (!result.ok) return fail(result.code, `the candidate query: ${result.message}`, 0);
      return compareResults(result.rows, gold.rows, hasTopLevelOrderBy(check.goldSql));
    }
    if (check.candidateValue === undefined) return fail("no-candidate", "neither a query nor a value to check");
    return this.compareValue(check.candidateValue, gold.rows);
  }

  private compareValue(answer: string, rows: readonly unknown[][]): Verdict {
    const cells = rows.flat().filter((cell) => cell !== null && cell !== undefined);
    if (cells.length === 0) return fail("mismatch", "the gold query returns no values to compare an answer with", 0);
    if (cells.length > MAX_VALUE_CELLS) return fail("mismatch", `the gold result has ${cells.length} values: only a query can be compared with it`, 0);
    const missing = cells.filter((cell) => !cellStated(cell, answer, this.qa.tolerance));
    const score = (cells.length - missing.length) / cells.length;
    if (missing.length === 0) return pass("value-match", `the answer states all ${cells.length} gold values`, 1);
    return fail("mismatch", `${missing.length} of ${cells.length} gold values not in the answer, e.g. ${canonicalCell(missing[0])} (answer ${excerpt(answer)})`, score);
  }

  private gold(db: string, sql: string): Promise<QueryOutcome> {
    const key = `${db}\u0000${sql}`;
    let outcome = this.golds.get(key);
    if (!outcome) {
      outcome = this.query(db, sql);
      if (this.golds.size >= GOLD_CACHE_ENTRIES) this.golds.delete(this.golds.keys().next().value!);
      this.golds.set(key, outcome);
    }
    return outcome;
  }

  private async query(db: string, sql: string): Promise<QueryOutcome> {
    const reply = await this.processes.run({ kind: "query", db, sql, maxRows: MAX_RESULT_ROWS }, this.timeoutMs);
    if (!reply.ok) return { ok: false, code: reply.code === "process-died" ? "sql-error" : reply.code, message: reply.message };
    if (!("columns" in reply)) return { ok: false, code: "sql-error", message: "no result" };
    if (reply.more) return { ok: false, code: "result-too-large", message: `more than ${MAX_RESULT_ROWS} rows` };
    return { ok: true, columns: reply.columns, rows: reply.rows };
  }
}
