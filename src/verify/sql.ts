import { closeEnough, normalizeAnswer, type QaOptions, writtenNumbers } from "./qa.js";
import type { SqliteProcesses } from "../run/sqlite-process.js";
import { asStringLiteral, hasTopLevelOrderBy, unresolvedDoubleQuoted, withOrderKeys } from "./sql-dialect.js";

export { hasTopLevelOrderBy } from "./sql-dialect.js";
import { excerpt, fail, pass, type Verdict } from "./types.js";

export interface SqlCheck {
  /** The SQLite database file (opened read-only). */
  db: string;
  goldSql: string;
  /** The candidate's query; when absent, `candidateValue` is compared with the gold query's result. */
  candidateSql?: string;
  candidateValue?: string;
}

export interface SqlOptions {
  /**
   * `any` (default): a result whose columns are the gold's in another order passes, as the Spider
   * test-suite evaluator accepts; `exact`: the columns must come in the gold's order.
   */
  columnOrder: "any" | "exact";
}

export const DEFAULT_SQL_OPTIONS: SqlOptions = { columnOrder: "any" };

export type QueryOutcome =
  | { ok: true; columns: string[]; rows: unknown[][] }
  | { ok: false; code: "sql-error" | "not-a-query" | "result-too-large" | "sql-timeout"; message: string };

/** Rows a result may have before the query is refused (a runaway join must not exhaust memory). */
export const MAX_RESULT_ROWS = 1_000_000;
/** Gold results cached per database and query (a sample's candidates share one gold). */
const GOLD_CACHE_ENTRIES = 256;
/** Double-quoted words read as string literals in one query at most. */
const MAX_LITERAL_REWRITES = 64;
/** Value answers are compared only with gold results this small; larger ones need the query. */
const MAX_VALUE_CELLS = 100;

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

export interface CompareOptions {
  columnOrder?: "any" | "exact";
  /**
   * With `ordered`: the gold rows' tie groups, one number per gold row (rows tied on the ORDER BY keys share
   * it, in runs); rows of a group may come in any order among themselves.
   */
  tieGroups?: readonly number[];
}

/** Most column orders tried before giving up (8 columns whose values all look alike). */
const MAX_PERMUTATIONS = 40_320;

/**
 * Two query results compared as multisets of rows (column names do not matter); as sequences when
 * `ordered` (the gold query has ORDER BY), where rows tied on the ORDER BY keys (`tieGroups`) compare as
 * groups. With `columnOrder: "any"` (the default) a result whose columns are a permutation of the gold's
 * passes too.
 */
export function compareResults(candidate: readonly unknown[][], gold: readonly unknown[][], ordered: boolean, options: CompareOptions = {}): Verdict {
  const direct = compareInOrder(candidate, gold, ordered, options.tieGroups);
  if (direct.pass || options.columnOrder === "exact") return direct;
  const width = candidate[0]?.length ?? 0;
  if (width < 2 || width !== (gold[0]?.length ?? 0) || candidate.length !== gold.length) return direct;
  for (const order of columnOrders(candidate, gold)) {
    const permuted = candidate.map((row) => order.map((i) => row[i]));
    const verdict = compareInOrder(permuted, gold, ordered, options.tieGroups);
    if (verdict.pass) return pass(verdict.reason, `${verdict.detail}, with the columns in another order (${order.map((i) => i + 1).join(", ")})`, 1);
  }
  return direct;
}

/**
 * The candidate's column orders worth trying: each gold column paired with a candidate column holding the
 * same multiset of values (the identity left out: it was tried first).
 */
function* columnOrders(candidate: readonly unknown[][], gold: readonly unknown[][]): Generator<number[]> {
  const width = gold[0]!.length;
  const signature = (rows: readonly unknown[][], column: number) => rows.map((row) => canonicalCell(row[column])).sort().join("\u0001");
  const goldSigs = Array.from({ length: width }, (_, c) => signature(gold, c));
  const candidateSigs = Array.from({ length: width }, (_, c) => signature(candidate, c));
  const choices = goldSigs.map((sig) => candidateSigs.map((other, c) => (other === sig ? c : -1)).filter((c) => c !== -1));
  if (choices.some((list) => list.length === 0)) return;
  let tried = 0;
  const order: number[] = [];
  const used = new Set<number>();
  function* place(column: number): Generator<number[]> {
    if (column === width) {
      if (order.some((c, i) => c !== i)) yield [...order];
      return;
    }
    for (const c of choices[column]!) {
      if (used.has(c) || tried >= MAX_PERMUTATIONS) continue;
      tried++;
      used.add(c);
      order.push(c);
      yield* place(column + 1);
      order.pop();
      used.delete(c);
    }
  }
  yield* place(0);
}

function compareInOrder(candidate: readonly unknown[][], gold: readonly unknown[][], ordered: boolean, tieGroups: readonly number[] | undefined): Verdict {
  const width = (rows: readonly unknown[][]) => rows[0]?.length ?? 0;
  if (candidate.length > 0 && gold.length > 0 && width(candidate) !== width(gold)) {
    return fail("mismatch", `the result has ${width(candidate)} columns, the gold ${width(gold)}`, 0);
  }
  if (!ordered) return compareMultisets(candidate, gold);
  const at = gold.findIndex((row, i) => candidate[i] === undefined || rowKey(candidate[i]!) !== rowKey(row));
  if (at === -1 && candidate.length === gold.length) return pass("result-match", `the same ${gold.length} rows in the same order`, 1);
  if (at === -1) return fail("mismatch", `${candidate.length} rows, the gold ${gold.length}; the first ${gold.length} agree`);
  const sameMultiset = candidate.length === gold.length && compareMultisets(candidate, gold).pass;
  if (sameMultiset && tieGroups && tiedGroupsAgree(candidate, gold, tieGroups)) {
    return pass("result-match", `the same ${gold.length} rows in the same order, rows tied on the ORDER BY keys in another order`, 1);
  }
  const where = `row ${at + 1}: ${candidate[at] ? showRow(candidate[at]!) : "(none)"} vs gold ${showRow(gold[at]!)}`;
  return fail("mismatch", sameMultiset ? `the right rows in the wrong order (the gold has ORDER BY); ${where}` : `rows differ at ${where}`);
}

/** Whether each run of tied gold rows holds, at the same positions in the candidate, the same rows in some order. */
function tiedGroupsAgree(candidate: readonly unknown[][], gold: readonly unknown[][], tieGroups: readonly number[]): boolean {
  let start = 0;
  while (start < gold.length) {
    let end = start + 1;
    while (end < gold.length && tieGroups[end] === tieGroups[start]) end++;
    if (!compareMultisets(candidate.slice(start, end), gold.slice(start, end)).pass) return false;
    start = end;
  }
  return true;
}

function compareMultisets(candidate: readonly unknown[][], gold: readonly unknown[][]): Verdict {
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
    private readonly options: SqlOptions = DEFAULT_SQL_OPTIONS,
  ) {}

  async verify(check: SqlCheck): Promise<Verdict> {
    const gold = await this.gold(check.db, check.goldSql);
    if (!gold.ok) return fail("gold-sql-error", `the gold query failed: ${gold.code}: ${gold.message}`);
    if (check.candidateSql !== undefined) {
      const result = await this.query(check.db, check.candidateSql);
      if (!result.ok) return fail(result.code, `the candidate query: ${result.message}`, 0);
      const ordered = hasTopLevelOrderBy(check.goldSql);
      const compare = { columnOrder: this.options.columnOrder };
      const verdict = compareResults(result.rows, gold.rows, ordered, compare);
      if (verdict.pass || !ordered || result.rows.length !== gold.rows.length) return verdict;
      // the right rows in another order: rows tied on the ORDER BY keys may come in any order
      const tieGroups = await this.tieGroups(check.db, check.goldSql, gold.rows);
      return tieGroups ? compareResults(result.rows, gold.rows, ordered, { ...compare, tieGroups }) : verdict;
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

  /**
   * Which gold rows tie on the ORDER BY keys (one group number per row), read from the gold query run again
   * with its keys as extra columns; undefined when that cannot be done (then ties are not recognised).
   */
  private async tieGroups(db: string, goldSql: string, goldRows: readonly unknown[][]): Promise<number[] | undefined> {
    const keyed = withOrderKeys(goldSql);
    if (!keyed) return undefined;
    const outcome = await this.query(db, keyed.sql);
    // the extra columns must not change the rows (DISTINCT over them would)
    if (!outcome.ok || outcome.rows.length !== goldRows.length) return undefined;
    if (outcome.rows.some((row, i) => rowKey(row.slice(0, keyed.width)) !== rowKey(goldRows[i]!))) return undefined;
    const groups: number[] = [];
    let previous: string | undefined;
    for (const row of outcome.rows) {
      const key = rowKey(keyed.keys.map((k) => row[k]));
      groups.push(key === previous ? groups.at(-1)! : groups.length);
      previous = key;
    }
    return groups;
  }

  /**
   * Runs a query; a double-quoted word SQLite cannot resolve as a name is read as a string literal, as
   * SQLite's default build does (datasets written against it rely on that), one such word at a time.
   */
  private async query(db: string, sql: string): Promise<QueryOutcome> {
    let text = sql;
    for (let rewrites = 0; ; rewrites++) {
      const reply = await this.processes.run({ kind: "query", db, sql: text, maxRows: MAX_RESULT_ROWS }, this.timeoutMs);
      if (!reply.ok) {
        const word = reply.code === "sql-error" && rewrites < MAX_LITERAL_REWRITES ? unresolvedDoubleQuoted(reply.message) : undefined;
        const rewritten = word === undefined ? text : asStringLiteral(text, word);
        if (rewritten !== text) {
          text = rewritten;
          continue;
        }
        return { ok: false, code: reply.code === "process-died" ? "sql-error" : reply.code, message: reply.message };
      }
      if (!("columns" in reply)) return { ok: false, code: "sql-error", message: "no result" };
      if (reply.more) return { ok: false, code: "result-too-large", message: `more than ${MAX_RESULT_ROWS} rows` };
      return { ok: true, columns: reply.columns, rows: reply.rows };
    }
  }
}
