import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { generateGraphwalks, nodeId, parents, renderGraphwalksPrompt } from "../../src/evals/generate-graphwalks.js";
import { type EmptyGoldMode, gradeGraphwalks, type ParseMode, parseFinalAnswer } from "../../src/evals/graphwalks.js";
import { Random } from "../../src/random.js";
import { tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

test("parsing: last line only, case-sensitive, greedy to the last ], Python whitespace; card-literal keeps 'Final Answer: [' on the first item", () => {
  assert.deepEqual(parseFinalAnswer("thinking…\nFinal Answer: [a, b ,c]"), ["a", "b", "c"]);
  assert.deepEqual(parseFinalAnswer("Final Answer: [a, b]", "card-literal"), ["Final Answer: [a", "b"]);
  assert.deepEqual(parseFinalAnswer("Final Answer: []"), []);
  assert.deepEqual(parseFinalAnswer("Final Answer: []", "card-literal"), ["Final Answer:"]);
  assert.equal(parseFinalAnswer("Final Answer: [a, b]\n"), null, "a trailing newline leaves an empty last line");
  assert.equal(parseFinalAnswer("final answer: [a]"), null);
  assert.equal(parseFinalAnswer("Final Answer:  [a]"), null, "at most one space before [");
  assert.deepEqual(parseFinalAnswer("Final Answer:[a]"), ["a"]);
  assert.deepEqual(parseFinalAnswer("Final Answer: [a], see [b]"), ["a]", "see [b"]);
  assert.deepEqual(parseFinalAnswer("Final Answer: [\x1ca\x85, \ufeffb]"), ["a", "\ufeffb"], "Python strips U+001C and U+0085, not U+FEFF");
  assert.deepEqual(parseFinalAnswer("Final Answer: [a]\r"), ["a"]);
});

test("F1, precision and recall over sets; the empty-gold modes differ only when both sets are empty", () => {
  assert.deepEqual(gradeGraphwalks("Final Answer: [a, b, b, x]", ["a", "b", "c"]), {
    f1: (2 * (2 / 3) * (2 / 3)) / (2 / 3 + 2 / 3),
    precision: 2 / 3,
    recall: 2 / 3,
    parsed: ["a", "b", "b", "x"],
  });
  assert.equal(gradeGraphwalks("Final Answer: [a, b]", ["a", "b"], { parse: "card-literal" }).f1, 0.5);
  assert.equal(gradeGraphwalks("Final Answer: []", []).f1, 0);
  assert.equal(gradeGraphwalks("Final Answer: []", [], { emptyGold: "both-empty-one" }).f1, 1);
  assert.equal(gradeGraphwalks("Final Answer: [a]", [], { emptyGold: "both-empty-one" }).f1, 0);
  assert.equal(gradeGraphwalks("no answer", [], { emptyGold: "both-empty-one" }).f1, 0, "a parse failure scores 0 in every mode");
  assert.equal(gradeGraphwalks("Final Answer: []", ["a"], { emptyGold: "both-empty-one" }).f1, 0);
});

const CARD_GRADER = `
import json, re, sys
def get_list(response, literal):
    line = response.split("\\n")[-1]
    if "Final Answer:" not in line:
        return [], True
    m = re.search(r"Final Answer: ?\\[(.*)\\]", line)
    if not m:
        return [], True
    inside = m.group(0).strip("[]") if literal else m.group(1)
    items = [x.strip() for x in inside.split(",")]
    return [x for x in items if x], False
def score(response, gold, literal, both_empty_one):
    items, failed = get_list(response, literal)
    if failed:
        return 0, 0, 0
    sampled, truth = set(items), set(gold)
    if both_empty_one and not sampled and not truth:
        return 1, 1, 1
    n = len(sampled & truth)
    recall = n / len(truth) if len(truth) > 0 else 0
    precision = n / len(sampled) if len(sampled) > 0 else 0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision > 0 else 0
    return f1, precision, recall
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        response, gold, literal, both = json.loads(line)
        print(" ".join(repr(float(x)) for x in score(response, gold, literal, both)))
`;

test("3,000 random responses grade exactly as the card's Python code (card-literal) and its bracket-contents variant", { skip: pythonMissing() }, () => {
  const random = new Random(7, "graphwalks-grader-parity");
  const nodes = Array.from({ length: 12 }, (_, i) => nodeId(i));
  const spaces = [" ", "", "  ", "\x1c", "\x85", "\ufeff", "\u00a0", "\t"];
  const cases: [string, string[], ParseMode, EmptyGoldMode][] = [];
  for (let i = 0; i < 3000; i++) {
    const gold = random.shuffle(nodes).slice(0, random.int(0, 5));
    const answer = random.shuffle([...nodes.slice(0, 3), ...gold]).slice(0, random.int(0, 6));
    const list = answer.map((node) => `${random.pick(spaces)}${node}${random.pick(spaces)}`).join(random.pick([",", ", ", " ,"]));
    const head = random.pick(["Final Answer: ", "Final Answer:", "Final Answer:  ", "final answer: ", "Final Answer: ["]);
    const tail = random.pick(["]", "]", "]\n", "]]", "] done", "]\r", ""]);
    const before = random.pick(["", "Let me think.\n", "Final Answer: [zzz]\n"]);
    cases.push([`${before}${head}[${list}${tail}`, gold, random.pick(["brackets", "card-literal"]), random.pick(["zero", "both-empty-one"])]);
  }
  const file = join(tempDir(), "responses.jsonl");
  writeFileSync(file, cases.map(([r, g, p, e]) => JSON.stringify([r, g, p === "card-literal", e === "both-empty-one"])).join("\n") + "\n");
  const run = spawnSync(pythonWith()!, ["-c", CARD_GRADER, file], { encoding: "utf8", maxBuffer: 16 << 20 });
  assert.equal(run.status, 0, run.stderr);
  const expected = run.stdout.trim().split("\n").map((line) => line.split(" ").map(Number));
  assert.equal(expected.length, cases.length);
  const mismatches = cases.flatMap(([response, gold, parse, emptyGold], i) => {
    const { f1, precision, recall } = gradeGraphwalks(response, gold, { parse, emptyGold });
    return JSON.stringify([f1, precision, recall]) === JSON.stringify(expected[i]) ? [] : [{ response, gold, parse, emptyGold, got: [f1, precision, recall], want: expected[i] }];
  });
  assert.deepEqual(mismatches.slice(0, 3), []);
  const f1s = new Set(expected.map(([f1]) => f1));
  assert.ok(f1s.has(0) && f1s.has(1) && f1s.size > 5, "the cases cover failures, perfect answers and partial ones");
});

test("the generator's template rebuilds a published row exactly: 44 edges → prompt_chars 2638 and its parents gold", () => {
  // openai/graphwalks row: parents of 8f14e45fce (node 7), gold [1679091c5a, c9f0f895fb, d3d9446802]; 4 out-edges per node
  const out = [[0, 6, 2, 1], [8, 9, 3, 8], [9, 3, 3, 8], [10, 10, 4, 1], [6, 3, 0, 5], [1, 6, 6, 9], [7, 7, 5, 4], [9, 5, 7, 0], [3, 0, 3, 7], [0, 6, 4, 4], [7, 10, 9, 5]];
  assert.equal(nodeId(0), "cfcd208495");
  assert.equal(nodeId(10), "d3d9446802");
  const edges = out.flatMap((targets, from) => targets.map((to) => [nodeId(from), nodeId(to)] as const));
  const prompt = renderGraphwalksPrompt(edges, { problem: "parents", node: nodeId(7) });
  assert.equal(prompt.length, 2638);
  assert.deepEqual(parents(out, 7).map(nodeId), ["1679091c5a", "c9f0f895fb", "d3d9446802"]);
  assert.ok(prompt.includes("8f14e45fce -> 8f14e45fce\n"), "the self-loop is in the graph but not in the gold");
});

/** Reads a generated prompt back the way a user would, and recomputes the answer independently. */
function solve(prompt: string): { edges: [string, string][]; answer: string[]; operation: string } {
  const graph = prompt.split("Here is the graph to operate on:\nThe graph has the following edges:\n")[1]!.split("\n\nOperation:\n");
  const edges = graph[0]!.split("\n").map((line) => line.split(" -> ") as [string, string]);
  const operation = graph[1]!.split("\n")[0]!;
  const bfs = /^Perform a BFS from node (\w+) with depth (\d+)\.$/.exec(operation);
  if (bfs) {
    const [, start, depthText] = bfs;
    let frontier = new Set([start!]);
    const seen = new Set([start!]);
    for (let d = 0; d < Number(depthText); d++) {
      const next = new Set<string>();
      for (const [from, to] of edges) if (frontier.has(from) && !seen.has(to)) next.add(to);
      for (const node of next) seen.add(node);
      frontier = next;
    }
    return { edges, answer: [...frontier].sort(), operation };
  }
  const target = /^Find the parents of node (\w+)\.$/.exec(operation)![1]!;
  return { edges, answer: [...new Set(edges.filter(([f, t]) => t === target && f !== target).map(([f]) => f))].sort(), operation };
}

test("generated instances: md5 ids of 0…N-1 grouped by source, every node with an out-edge, exact gold, sized within one edge line", () => {
  const sizes = [1700, 5000, 40_000];
  const items = [...generateGraphwalks({ seed: 11, promptChars: sizes, perSize: 4 })];
  assert.equal(items.length, sizes.length * 2 * 4);
  for (const item of items) {
    const target = Number(/-(\d+)-\d+$/.exec(item.id)![1]);
    assert.equal(item.prompt_chars, item.prompt.length);
    assert.ok(item.prompt.length <= target && item.prompt.length > target - 25, `${item.id}: ${item.prompt.length} chars for ${target}`);
    const { edges, answer, operation } = solve(item.prompt);
    assert.deepEqual([...item.answer_nodes].sort(), answer, `${item.id} ${operation}`);
    assert.equal(item.problem_type, operation.startsWith("Find the parents") ? "parents" : "bfs");
    const sources = [...new Set(edges.map(([from]) => from))];
    const md5 = (i: number) => createHash("md5").update(String(i)).digest("hex").slice(0, 10);
    assert.deepEqual(sources, sources.map((_, i) => md5(i)), "sources are nodes 0…N-1 in order, each with an out-edge");
    assert.ok(edges.every(([, to]) => sources.includes(to)), "edges stay inside the graph");
  }
  assert.ok(items.filter((item) => item.answer_nodes.length > 0).length >= items.length - 2, "gold sets are rarely empty");
});

test("generation is reproducible by seed, and each instance has its own stream", () => {
  const a = [...generateGraphwalks({ seed: 5, promptChars: [3000, 9000], perSize: 2 })];
  const b = [...generateGraphwalks({ seed: 5, promptChars: [3000, 9000], perSize: 2 })];
  const other = [...generateGraphwalks({ seed: 6, promptChars: [3000, 9000], perSize: 2 })];
  const fewer = [...generateGraphwalks({ seed: 5, promptChars: [9000], perSize: 1, problems: ["parents"] })];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((i) => i.prompt), other.map((i) => i.prompt));
  assert.deepEqual(fewer[0], a.find((i) => i.id === fewer[0]!.id));
  assert.throws(() => [...generateGraphwalks({ seed: 1, promptChars: [500], perSize: 1 })], /at least \d+ characters/);
});
