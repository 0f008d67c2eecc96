import { bfsLayer, type Operation, parents, renderGraphwalksPrompt } from "./generate-graphwalks.js";
import type { GraphwalksItem } from "./graphwalks.js";

/** The graph and operation a GraphWalks prompt asks about. */
export interface GraphwalksQuestion {
  edges: [string, string][];
  operation: Operation;
}

const GRAPH_MARKER = "Here is the graph to operate on:";
const EDGES_MARKER = "The graph has the following edges:";
const OPERATION_MARKER = "\nOperation:";
const EDGE = /^(\S+) -> (\S+)$/;
const BFS = /^Perform a BFS from node (\S+) with depth (\d+)\.$/;
const PARENTS = /^Find the parents of node (\S+)\.$/;

/**
 * Reads the graph and the operation out of a prompt: the edge lines after the last "Here is the graph to
 * operate on:" (past the worked examples), then the first line after "Operation:". Blank lines and the
 * whitespace around lines are not significant here (the template check compares bytes). Returns the
 * reason when the prompt is not of that shape.
 */
export function parseGraphwalksPrompt(prompt: string): GraphwalksQuestion | { error: string } {
  const graphAt = prompt.lastIndexOf(GRAPH_MARKER);
  if (graphAt < 0) return { error: `no "${GRAPH_MARKER}"` };
  const edgesAt = prompt.indexOf(EDGES_MARKER, graphAt);
  if (edgesAt < 0) return { error: `no "${EDGES_MARKER}" after "${GRAPH_MARKER}"` };
  const operationAt = prompt.indexOf(OPERATION_MARKER, edgesAt);
  if (operationAt < 0) return { error: 'no "Operation:" line after the graph' };
  const edges: [string, string][] = [];
  const lines = prompt.slice(edgesAt + EDGES_MARKER.length, operationAt).split("\n");
  for (const line of lines) {
    const text = line.trim();
    if (text === "") continue;
    const edge = EDGE.exec(text);
    if (edge === null) return { error: `the graph has a line that is not an edge: ${JSON.stringify(text.slice(0, 80))}` };
    edges.push([edge[1]!, edge[2]!]);
  }
  if (edges.length === 0) return { error: "the graph has no edges" };
  const after = prompt.slice(operationAt + OPERATION_MARKER.length).split("\n");
  const line = (after.find((text) => text.trim() !== "") ?? "").trim();
  const bfs = BFS.exec(line);
  if (bfs) return { edges, operation: { problem: "bfs", node: bfs[1]!, depth: Number(bfs[2]) } };
  const parent = PARENTS.exec(line);
  if (parent) return { edges, operation: { problem: "parents", node: parent[1]! } };
  return { error: `the operation is neither a BFS nor a parents question: ${JSON.stringify(line.slice(0, 80))}` };
}

/** The gold set of a question, by the official definitions (a BFS layer; parents without the target itself), in first-seen node order. */
export function recomputeGold(question: GraphwalksQuestion): string[] {
  const index = new Map<string, number>();
  const ids: string[] = [];
  const indexOf = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      i = ids.length;
      index.set(id, i);
      ids.push(id);
    }
    return i;
  };
  const out: number[][] = [];
  for (const [from, to] of question.edges) {
    const a = indexOf(from);
    const b = indexOf(to);
    while (out.length < ids.length) out.push([]);
    out[a]!.push(b);
  }
  const { operation } = question;
  const start = index.get(operation.node);
  if (start === undefined) return [];
  const gold = operation.problem === "bfs" ? bfsLayer(out, start, operation.depth) : parents(out, start);
  return gold.map((i) => ids[i]!);
}

export type GoldStatus = "agrees" | "differs" | "unreadable";

/** One row's check: its stored answer against the answer recomputed from its prompt, and whether acc's template rebuilds the prompt byte for byte. */
export interface GoldCheck {
  id: string;
  problem_type: string;
  status: GoldStatus;
  /** The operation line (absent when the prompt could not be read). */
  operation?: string;
  /** Nodes in the stored answer that the recomputed answer lacks, and the reverse. */
  extra?: string[];
  missing?: string[];
  /** Why the row differs or could not be read, in words. */
  reason?: string;
  /** Whether acc's renderer gives back the prompt byte for byte from the parsed graph and operation; else the first differing character offset. */
  template?: { identical: true } | { identical: false; first_difference: number };
}

/** Checks one row: parse, recompute, compare as sets (order and duplicates in answer_nodes do not matter). */
export function checkGold(item: GraphwalksItem): GoldCheck {
  const base = { id: item.id, problem_type: item.problem_type };
  const question = parseGraphwalksPrompt(item.prompt);
  if ("error" in question) return { ...base, status: "unreadable", reason: question.error };
  const { operation } = question;
  const operationLine = operation.problem === "bfs" ? `BFS from ${operation.node} with depth ${operation.depth}` : `parents of ${operation.node}`;
  const template = templateCheck(item.prompt, question);
  if (operation.problem !== item.problem_type) {
    return { ...base, status: "differs", operation: operationLine, reason: `problem_type is "${item.problem_type}" but the prompt asks for ${operation.problem}`, template };
  }
  const recomputed = new Set(recomputeGold(question));
  const stored = new Set(item.answer_nodes);
  const extra = [...stored].filter((node) => !recomputed.has(node));
  const missing = [...recomputed].filter((node) => !stored.has(node));
  if (extra.length === 0 && missing.length === 0) return { ...base, status: "agrees", operation: operationLine, template };
  return { ...base, status: "differs", operation: operationLine, extra, missing, reason: differenceReason(question, extra, missing), template };
}

function differenceReason(question: GraphwalksQuestion, extra: string[], missing: string[]): string {
  const { operation } = question;
  const selfLoop = question.edges.some(([from, to]) => from === operation.node && to === operation.node);
  if (operation.problem === "parents" && missing.length === 0 && extra.length === 1 && extra[0] === operation.node && selfLoop) {
    return "the stored answer counts the target's self-loop (the target is its own parent)";
  }
  const parts = [extra.length ? `${extra.length} stored node(s) not in the recomputed answer` : "", missing.length ? `${missing.length} recomputed node(s) missing from the stored answer` : ""];
  return parts.filter(Boolean).join("; ");
}

function templateCheck(prompt: string, question: GraphwalksQuestion): GoldCheck["template"] {
  const rendered = renderGraphwalksPrompt(question.edges, question.operation);
  if (rendered === prompt) return { identical: true };
  let at = 0;
  while (at < rendered.length && at < prompt.length && rendered.charCodeAt(at) === prompt.charCodeAt(at)) at++;
  return { identical: false, first_difference: at };
}

export interface GoldCheckSummary {
  rows: number;
  agrees: number;
  differs: number;
  unreadable: number;
  /** Of the differing rows: parents rows whose stored answer counts the target's self-loop. */
  self_loop_counted: number;
  /** Rows whose prompt acc's template rebuilds byte for byte. */
  template_identical: number;
  /** Ids of the differing and unreadable rows, in data order. */
  flagged: string[];
}

export function summarizeGoldChecks(checks: Iterable<GoldCheck>): GoldCheckSummary {
  const summary: GoldCheckSummary = { rows: 0, agrees: 0, differs: 0, unreadable: 0, self_loop_counted: 0, template_identical: 0, flagged: [] };
  for (const check of checks) {
    summary.rows++;
    summary[check.status]++;
    if (check.status !== "agrees") summary.flagged.push(check.id);
    if (check.reason?.startsWith("the stored answer counts the target's self-loop")) summary.self_loop_counted++;
    if (check.template?.identical) summary.template_identical++;
  }
  return summary;
}

/** The closing lines of `acc eval graphwalks --check-gold`: counts, then the flagged ids (the first 20; all are in the files). */
export function renderGoldSummary(summary: GoldCheckSummary, shown = 20): string {
  const lines = [
    `graphwalks gold check: ${summary.rows} rows, ${summary.agrees} agree, ${summary.differs} differ` +
      `${summary.self_loop_counted ? ` (${summary.self_loop_counted} count the target's self-loop)` : ""}` +
      `${summary.unreadable ? `, ${summary.unreadable} unreadable` : ""}`,
    `prompts acc's template rebuilds byte for byte: ${summary.template_identical} of ${summary.rows}`,
  ];
  if (summary.flagged.length) {
    lines.push(`flagged: ${summary.flagged.slice(0, shown).join(", ")}${summary.flagged.length > shown ? `, … (${summary.flagged.length - shown} more)` : ""}`);
  }
  return lines.join("\n");
}
