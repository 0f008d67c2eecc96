import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { generateGraphwalks, nodeId, type Operation, renderGraphwalksPrompt } from "../../src/evals/generate-graphwalks.js";
import type { GraphwalksItem } from "../../src/evals/graphwalks.js";
import { checkGold, parseGraphwalksPrompt, type GoldCheck, type GoldCheckSummary } from "../../src/evals/graphwalks-gold.js";
import { runCli, tempDir } from "../helpers/collect.js";

/** The test's own answer, by plain set arithmetic over the edge list (not acc's index-based walk). */
function referenceGold(edges: readonly (readonly [string, string])[], operation: Operation): string[] {
  if (operation.problem === "parents") return [...new Set(edges.filter(([from, to]) => to === operation.node && from !== operation.node).map(([from]) => from))];
  let seen = new Set([operation.node]);
  let frontier = new Set([operation.node]);
  for (let level = 0; level < operation.depth; level++) {
    const next = new Set(edges.filter(([from, to]) => frontier.has(from) && !seen.has(to)).map(([, to]) => to));
    seen = new Set([...seen, ...next]);
    frontier = next;
  }
  return [...frontier];
}

function item(id: string, edges: [string, string][], operation: Operation, answer: string[]): GraphwalksItem {
  const prompt = renderGraphwalksPrompt(edges, operation);
  return { id, prompt, answer_nodes: answer, prompt_chars: prompt.length, problem_type: operation.problem };
}

const ids = Array.from({ length: 8 }, (_, i) => nodeId(i));

test("random graphs: the gold recomputed from the rendered prompt equals the test's own answer, and the template rebuilds the prompt byte for byte", () => {
  const edge = fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids));
  const operation = fc.oneof(
    fc.record({ problem: fc.constant("bfs" as const), node: fc.constantFrom(...ids), depth: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ problem: fc.constant("parents" as const), node: fc.constantFrom(...ids) }),
  );
  fc.assert(
    fc.property(fc.array(edge, { minLength: 1, maxLength: 30 }), operation, (edges, op) => {
      const check = checkGold(item("x", edges, op, referenceGold(edges, op)));
      assert.equal(check.status, "agrees", JSON.stringify(check));
      assert.deepEqual(check.template, { identical: true });
    }),
    { numRuns: 300, seed: 22 },
  );
});

test("generated items: every stored gold agrees and every prompt is rebuilt byte for byte", () => {
  for (const generated of generateGraphwalks({ seed: 5, promptChars: [3000, 20000], perSize: 3 })) {
    assert.deepEqual(checkGold(generated), { id: generated.id, problem_type: generated.problem_type, status: "agrees", operation: checkGold(generated).operation, template: { identical: true } });
  }
});

test("a parents answer that counts the target's self-loop is flagged as such; other differences name the extra and missing nodes", () => {
  const [a, b, c, d] = ids as [string, string, string, string];
  const edges: [string, string][] = [[a, b], [a, c], [b, b], [c, b], [d, a]];
  const selfLoop = checkGold(item("self", edges, { problem: "parents", node: b }, [a, c, b]));
  assert.equal(selfLoop.status, "differs");
  assert.deepEqual([selfLoop.extra, selfLoop.missing], [[b], []]);
  assert.match(selfLoop.reason!, /counts the target's self-loop/);
  const wrongLayer = checkGold(item("bfs", edges, { problem: "bfs", node: d, depth: 2 }, [b, d]));
  assert.equal(wrongLayer.status, "differs");
  assert.deepEqual([wrongLayer.extra, wrongLayer.missing], [[d], [c]], "depth 2 from d is {b, c}: the stored b is right, d is extra, c missing");
  assert.doesNotMatch(wrongLayer.reason!, /self-loop/);
  const noLoop = checkGold(item("no-loop", edges, { problem: "parents", node: c }, [a, c]));
  assert.doesNotMatch(noLoop.reason!, /self-loop/, "an extra target without a self-loop is an ordinary difference");
  const mislabelled = checkGold({ ...item("label", edges, { problem: "parents", node: b }, [a, c]), problem_type: "bfs" });
  assert.match(mislabelled.reason!, /problem_type is "bfs" but the prompt asks for parents/);
});

test("prompts with other whitespace (a leading newline, a blank line more before Operation:, a trailing newline) still parse; the template check gives the first differing offset", () => {
  const [a, b] = ids as [string, string];
  const edges: [string, string][] = [[a, b], [b, a], [b, b]];
  const rendered = renderGraphwalksPrompt(edges, { problem: "parents", node: a });
  const variant = `\n${rendered.replace("\n\nOperation:", "\n\n\nOperation:")}\n`;
  assert.deepEqual(parseGraphwalksPrompt(variant), { edges, operation: { problem: "parents", node: a } });
  const check = checkGold({ id: "v", prompt: variant, answer_nodes: [b], prompt_chars: variant.length, problem_type: "parents" });
  assert.equal(check.status, "agrees");
  assert.deepEqual(check.template, { identical: false, first_difference: 0 });
  const inner = rendered.replace("\n\nOperation:", "\n\n\nOperation:");
  assert.deepEqual(checkGold({ id: "w", prompt: inner, answer_nodes: [b], prompt_chars: 0, problem_type: "parents" }).template, {
    identical: false,
    first_difference: rendered.indexOf("\n\nOperation:") + 2,
  });
});

test("unreadable prompts say why", () => {
  const reasons = ["no graph here", "Here is the graph to operate on:\nThe graph has the following edges:\na -> b\nnot an edge\n\nOperation:\nFind the parents of node b.", "Here is the graph to operate on:\nThe graph has the following edges:\na -> b\n\nOperation:\nCount the nodes."].map(
    (prompt) => checkGold({ id: "u", prompt, answer_nodes: [], prompt_chars: prompt.length, problem_type: "parents" }),
  );
  assert.deepEqual(reasons.map((r) => r.status), ["unreadable", "unreadable", "unreadable"]);
  assert.match(reasons[0]!.reason!, /no "Here is the graph to operate on:"/);
  assert.match(reasons[1]!.reason!, /not an edge: "not an edge"/);
  assert.match(reasons[2]!.reason!, /neither a BFS nor a parents question: "Count the nodes\."/);
});

test("acc eval graphwalks --check-gold: summary on stderr with counts and flagged ids, gold-check.jsonl per row, gold-check.json; refusals", async () => {
  const dir = tempDir();
  const [a, b, c] = ids as [string, string, string];
  const edges: [string, string][] = [[a, b], [b, b], [c, b], [c, a]];
  const rows = [
    item("ok", edges, { problem: "parents", node: a }, [c]),
    item("loop", edges, { problem: "parents", node: b }, [a, b, c]),
    item("bfs", edges, { problem: "bfs", node: c, depth: 1 }, [a]),
    { id: "junk", prompt: "hello", answer_nodes: [], prompt_chars: 5, problem_type: "bfs" },
  ];
  const data = join(dir, "gw.jsonl");
  writeFileSync(data, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  const out = join(dir, "gold");
  const run = await runCli(["eval", "graphwalks", "--data", data, "--check-gold", "-o", out, "-q"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /graphwalks gold check: 4 rows, 1 agree, 2 differ \(1 count the target's self-loop\), 1 unreadable/);
  assert.match(run.stderr, /rebuilds byte for byte: 3 of 4/);
  assert.match(run.stderr, /flagged: loop, bfs, junk/);
  const checks = readFileSync(join(out, "gold-check.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as GoldCheck);
  assert.deepEqual(checks.map((check) => [check.id, check.status]), [["ok", "agrees"], ["loop", "differs"], ["bfs", "differs"], ["junk", "unreadable"]]);
  assert.deepEqual(checks[2]!.missing, [b]);
  const summary = JSON.parse(readFileSync(join(out, "gold-check.json"), "utf8")) as GoldCheckSummary;
  assert.deepEqual(summary, { rows: 4, agrees: 1, differs: 2, unreadable: 1, self_loop_counted: 1, template_identical: 3, flagged: ["loop", "bfs", "junk"] });

  const junk = join(dir, "junk.jsonl");
  writeFileSync(junk, `${JSON.stringify(rows[3])}\n`);
  const none = await runCli(["eval", "graphwalks", "--data", junk, "--check-gold", "-o", join(dir, "none"), "-q"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no row could be checked: none of the 1 prompts has the GraphWalks shape/);
  const withEndpoint = await runCli(["eval", "graphwalks", "--data", data, "--check-gold", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m"]);
  assert.equal(withEndpoint.code, 2);
  assert.match(withEndpoint.stderr, /option '--check-gold' cannot be used with option '--endpoint <url>'/);
  const mrcr = await runCli(["eval", "mrcr", "--data", data, "--check-gold"]);
  assert.equal(mrcr.code, 2);
});
