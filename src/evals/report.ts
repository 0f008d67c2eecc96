import { CONTEXT_BINS } from "./bins.js";
import type { ResultRecord } from "./results.js";
import type { EvalName } from "./types.js";

export interface Cell {
  n: number;
  /** Mean score in [0, 1], or null when the cell has no items. */
  mean: number | null;
}

export interface EvalCounts {
  /** Items in the data (after --limit). items = graded + failed + missing. */
  items: number;
  graded: number;
  /** The endpoint kept failing after its retries (a rerun asks again). */
  failed: number;
  /** Of the failed: refused by the server as longer than the model's context window (not retried). */
  over_context: number;
  /** No response for the item in the --responses file. */
  missing: number;
  /** Of the graded: answers reused from an earlier run's results.jsonl (no request). */
  resumed: number;
  /** Of the graded: answers from the client's disk cache (no request). */
  cached: number;
  /** Lines of the --responses file whose id is not an item. */
  unmatched_responses: number;
}

/** A table of mean scores: one row per bin (in bin order), one column per group, plus "all" for both. */
export interface ScoreTable {
  title: string;
  bins: string[];
  groups: string[];
  /** cells[bin][group], with "all" as both a bin and a group. */
  cells: Record<string, Record<string, Cell>>;
}

export interface EvalSummary {
  eval: EvalName;
  model: string | null;
  settings: Record<string, string>;
  counts: EvalCounts;
  overall: Cell;
  tables: ScoreTable[];
}

/** A second, coarser binning reported beside the context bins (GraphWalks: the official ≤128k / >128k split). */
export interface CoarseSplit {
  title: string;
  labels: readonly string[];
  of(tokens: number): string;
}

/** What the summary reads of a result. */
export type Scored = Pick<ResultRecord, "group" | "tokens" | "bin" | "score">;

/** Means by context-length bin and group. Sums run in record order, so the same records give the same bytes. */
export function summarize(options: {
  eval: EvalName;
  model: string | null;
  settings: Record<string, string>;
  counts: EvalCounts;
  records: readonly Scored[];
  coarse?: CoarseSplit;
}): EvalSummary {
  const { records } = options;
  const groups = [...new Set(records.map((r) => r.group))].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const tables = [table("Mean score by context length (o200k_base tokens)", records, CONTEXT_BINS, (r) => r.bin, groups)];
  const { coarse } = options;
  if (coarse) tables.push(table(coarse.title, records, coarse.labels, (r) => coarse.of(r.tokens), groups));
  return {
    eval: options.eval,
    model: options.model,
    settings: options.settings,
    counts: options.counts,
    overall: cell(records.map((r) => r.score)),
    tables,
  };
}

function table(title: string, records: readonly Scored[], binOrder: readonly string[], binOf: (r: Scored) => string, groups: string[]): ScoreTable {
  const scores = new Map<string, number[]>();
  const add = (bin: string, group: string, score: number) => {
    const key = `${bin}\u0000${group}`;
    const list = scores.get(key);
    if (list) list.push(score);
    else scores.set(key, [score]);
  };
  for (const record of records) {
    const bin = binOf(record);
    add(bin, record.group, record.score);
    add(bin, "all", record.score);
    add("all", record.group, record.score);
    add("all", "all", record.score);
  }
  const present = new Set(records.map(binOf));
  const bins = [...binOrder.filter((bin) => present.has(bin)), "all"];
  const columns = [...groups, "all"];
  const cells: Record<string, Record<string, Cell>> = {};
  for (const bin of bins) {
    cells[bin] = {};
    for (const group of columns) cells[bin][group] = cell(scores.get(`${bin}\u0000${group}`) ?? []);
  }
  return { title, bins, groups: columns, cells };
}

function cell(scores: readonly number[]): Cell {
  if (scores.length === 0) return { n: 0, mean: null };
  let sum = 0;
  for (const score of scores) sum += score;
  return { n: scores.length, mean: sum / scores.length };
}

/** A score table as aligned text: "mean (n)" per cell, mean ×100 with one decimal. */
export function renderScoreTable(scoreTable: ScoreTable): string {
  const header = ["bin", ...scoreTable.groups];
  const rows = scoreTable.bins.map((bin) => [bin, ...scoreTable.groups.map((group) => formatCell(scoreTable.cells[bin]![group]!))]);
  const widths = header.map((_, col) => Math.max(...[header, ...rows].map((row) => row[col]!.length)));
  const line = (row: string[]) => row.map((text, col) => (col === 0 ? text.padEnd(widths[col]!) : text.padStart(widths[col]!))).join("  ");
  return [scoreTable.title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function formatCell(value: Cell): string {
  return value.mean === null ? "-" : `${(100 * value.mean).toFixed(1)} (${value.n})`;
}

/** The closing report: counts, then every table. */
export function renderSummary(summary: EvalSummary): string {
  const { counts } = summary;
  const reused = [counts.resumed ? `${counts.resumed} resumed` : "", counts.cached ? `${counts.cached} from cache` : ""].filter(Boolean);
  const lines = [
    `${summary.eval}${summary.model ? ` · ${summary.model}` : ""}: ${counts.graded} of ${counts.items} items graded` +
      `${counts.failed ? `, ${counts.failed} failed${counts.over_context ? ` (${counts.over_context} longer than the model's context window)` : ""}` : ""}${counts.missing ? `, ${counts.missing} without a response` : ""}` +
      `${reused.length ? ` (${reused.join(", ")})` : ""}`,
  ];
  if (counts.unmatched_responses) lines.push(`warning: ${counts.unmatched_responses} responses have ids that are not items of the data`);
  if (counts.failed || counts.missing) lines.push("warning: means cover graded items only");
  for (const scoreTable of summary.tables) lines.push("", renderScoreTable(scoreTable));
  return lines.join("\n");
}
