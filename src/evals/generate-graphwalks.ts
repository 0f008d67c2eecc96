import { createHash } from "node:crypto";
import { UsageError } from "../errors/acc-error.js";
import { Random } from "../random.js";
import type { GraphwalksItem } from "./graphwalks.js";

export type GraphwalksProblem = "bfs" | "parents";
export const GRAPHWALKS_PROBLEMS: readonly GraphwalksProblem[] = ["bfs", "parents"];

export interface GraphwalksGenerateOptions {
  seed: number | string;
  /** Target prompt lengths in characters; each instance's prompt is at most this long and within one edge line (25 characters) of it. */
  promptChars: readonly number[];
  /** Instances per size and problem type. */
  perSize: number;
  problems?: readonly GraphwalksProblem[];
}

// The official prompt, character for character (rebuilding a published 44-edge row with it gives its prompt_chars, 2,638).
const HEADER =
  "You will be given a graph as a list of directed edges. All nodes are at least degree 1. \n" +
  "You will also get a description of an operation to perform on the graph.\n" +
  "Your job is to execute the operation on the graph and return the set of nodes that the operation results in. \n" +
  "If asked for a breadth-first search (BFS), only return the nodes that are reachable at that depth, do not return the starting node.\n" +
  " If asked for the parents of a node, only return the nodes that have an edge leading to the given node, do not return the given node itself.\n\n" +
  "Here is an example:\n<begin example>\n\nThe graph has the following edges:\nuvwx -> alke\nabcd -> uvwx\nabcd -> efgh\nefgh -> uvwx\n\n" +
  "Example 1:\nOperation:\nPerform a BFS from node abcd with depth 1.\nFinal Answer: [uvwx, efgh]\n\n" +
  "Example 2:\nOperation:\nPerform a BFS from node alke with depth 1.\nFinal Answer: []\n\n" +
  "Example 3:\nOperation:\nFind the parents of node uvwx.\nFinal Answer: [abcd, efgh]\n\n" +
  "Example 4:\nOperation:\nFind the parents of node abcd.\nFinal Answer: []\n\n<end example>\n" +
  "Here is the graph to operate on:\nThe graph has the following edges:\n";
const TRAILER =
  "You should immediately return the set of nodes that the operation results in, with no additional text. " +
  "Return your final answer as a list of nodes in the very last line of your response. " +
  "For example, if the operation returns the set of nodes [node1, node2, node3], your response should be:\n" +
  "Final Answer: [node1, node2, node3]\nIf the operation returns the empty set, your response should be:\nFinal Answer: []";

const EDGE_LINE_CHARS = 25;
const MAX_OUT_DEGREE = 4;
const MAX_BFS_DEPTH = 5;
/** Draws of the start (or target) node before an empty gold set is accepted. */
const OPERATION_TRIES = 10;

export type Operation = { problem: "bfs"; node: string; depth: number } | { problem: "parents"; node: string };

export function operationText(operation: Operation): string {
  return operation.problem === "bfs"
    ? `Perform a BFS from node ${operation.node} with depth ${operation.depth}.`
    : `Find the parents of node ${operation.node}.`;
}

/** The official prompt for an edge list (grouped by source) and an operation. */
export function renderGraphwalksPrompt(edges: readonly (readonly [string, string])[], operation: Operation): string {
  const lines = edges.map(([from, to]) => `${from} -> ${to}`).join("\n");
  return `${HEADER}${lines}\n\nOperation:\n${operationText(operation)}\n\n${TRAILER}`;
}

/** The official node id of node i: the first 10 hex characters of md5(str(i)). */
export function nodeId(index: number): string {
  return createHash("md5").update(String(index)).digest("hex").slice(0, 10);
}

/** The shortest prompt a size can hold: two edges (every node has an out-edge, and a graph needs two nodes). */
export function minimumPromptChars(problem: GraphwalksProblem): number {
  return promptCharsFor(problem, 2);
}

function promptCharsFor(problem: GraphwalksProblem, edges: number): number {
  const operation: Operation = problem === "bfs" ? { problem, node: "0".repeat(10), depth: 1 } : { problem, node: "0".repeat(10) };
  return HEADER.length + EDGE_LINE_CHARS * edges - 1 + "\n\nOperation:\n".length + operationText(operation).length + 2 + TRAILER.length;
}

/**
 * GraphWalks-shaped instances, reproducible from the seed: N nodes with md5 ids, each with 1–4 out-edges
 * drawn uniformly with replacement (self-loops and repeated edges happen, as in the official rows),
 * listed grouped by source in node order; a BFS layer (depth 1–5, nodes whose shortest distance from the
 * start is exactly the depth) or a parents question (the target itself excluded, as in the 2026 fix).
 * Each instance has its own named random stream, so changing one size or count never changes another.
 */
export function* generateGraphwalks(options: GraphwalksGenerateOptions): Generator<GraphwalksItem> {
  const problems = options.problems ?? GRAPHWALKS_PROBLEMS;
  for (const chars of options.promptChars) {
    for (const problem of problems) {
      for (let i = 0; i < options.perSize; i++) {
        const name = `graphwalks/${problem}/${chars}/${i}`;
        yield { id: `graphwalks-gen-s${options.seed}-${problem}-${chars}-${i}`, ...generateOne(new Random(options.seed, name), problem, chars) };
      }
    }
  }
}

function generateOne(random: Random, problem: GraphwalksProblem, targetChars: number): Omit<GraphwalksItem, "id"> {
  const minimum = minimumPromptChars(problem);
  if (targetChars < minimum) throw new UsageError(`generated: GraphWalks ${problem} prompts need at least ${minimum} characters, got a size of ${targetChars}`, { fix: "choose larger sizes" });
  const edgeCount = Math.floor((targetChars - promptCharsFor(problem, 0)) / EDGE_LINE_CHARS);
  let degree = random.int(1, MAX_OUT_DEGREE);
  if (Math.floor(edgeCount / degree) < 2) degree = 1;
  const nodeCount = Math.floor(edgeCount / degree);
  const ids = uniqueNodeIds(nodeCount);
  const extra = new Set(random.shuffle([...Array(nodeCount).keys()]).slice(0, edgeCount - nodeCount * degree));
  const out: number[][] = [];
  for (let node = 0; node < nodeCount; node++) {
    const targets: number[] = [];
    for (let e = degree + (extra.has(node) ? 1 : 0); e > 0; e--) targets.push(random.int(0, nodeCount - 1));
    out.push(targets);
  }
  const depth = random.int(1, MAX_BFS_DEPTH);
  let node = 0;
  let gold: number[] = [];
  for (let attempt = 0; attempt < OPERATION_TRIES && gold.length === 0; attempt++) {
    node = random.int(0, nodeCount - 1);
    gold = problem === "bfs" ? bfsLayer(out, node, depth) : parents(out, node);
  }
  const operation: Operation = problem === "bfs" ? { problem, node: ids[node]!, depth } : { problem, node: ids[node]! };
  const edges = out.flatMap((targets, from) => targets.map((to) => [ids[from]!, ids[to]!] as const));
  const prompt = renderGraphwalksPrompt(edges, operation);
  return { prompt, answer_nodes: gold.map((index) => ids[index]!), prompt_chars: prompt.length, problem_type: problem };
}

/** md5 ids of nodes 0, 1, …; an index whose 40-bit prefix repeats an earlier one is skipped (about 0.2% of 70,000-node graphs have one). */
function uniqueNodeIds(count: number): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (let index = 0; ids.length < count; index++) {
    const id = nodeId(index);
    if (seen.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** Nodes whose shortest distance from `start` is exactly `depth`, ascending. */
export function bfsLayer(out: readonly (readonly number[])[], start: number, depth: number): number[] {
  const distance = new Int32Array(out.length).fill(-1);
  distance[start] = 0;
  let frontier = [start];
  for (let level = 1; level <= depth && frontier.length > 0; level++) {
    const next: number[] = [];
    for (const node of frontier) {
      for (const target of out[node]!) {
        if (distance[target] !== -1) continue;
        distance[target] = level;
        next.push(target);
      }
    }
    frontier = next;
  }
  return frontier.sort((a, b) => a - b);
}

/** Nodes with an edge into `target`, the target itself excluded, ascending. */
export function parents(out: readonly (readonly number[])[], target: number): number[] {
  const found: number[] = [];
  out.forEach((targets, from) => {
    if (from !== target && targets.includes(target)) found.push(from);
  });
  return found;
}
