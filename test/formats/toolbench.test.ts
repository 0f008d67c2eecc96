import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("toolbench-dfs/G3_13_ChatGPT_DFS_woFilter_w2.json");

interface RawMessage {
  role: string;
  content: string | null;
  name?: string;
  function_call?: { name: string; arguments: string };
}
interface RawAnswer {
  win: boolean;
  answer_generation: { query: string; function: unknown[]; train_messages: RawMessage[][] };
}

const callsOf = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const resultsOf = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");

test("toolbench: the longest train_messages sample is the trajectory; its Finish call and win are the outcome", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawAnswer;
  const samples = raw.answer_generation.train_messages;
  const longest = samples.reduce((a, b) => (b.length > a.length ? b : a));
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "toolbench");
  assert.equal(t.messages.length, longest.length);
  assert.ok(samples.reduce((n, s) => n + s.length, 0) > 2 * longest.length, "the prefixes store the chain many times");

  const rawCalls = longest.flatMap((m) => (m.function_call ? [m.function_call] : []));
  const calls = callsOf(t);
  assert.deepEqual(calls.map((c) => c.name), rawCalls.map((c) => c.name));
  assert.deepEqual(calls.map((c) => c.raw_arguments), rawCalls.map((c) => c.arguments));
  const rawResults = longest.filter((m) => m.role === "function");
  const results = resultsOf(t);
  assert.equal(results.length, rawResults.length);
  results.forEach((r, k) => {
    assert.ok(r.role === "tool");
    assert.equal(r.content, rawResults[k]!.content);
    assert.equal(r.name, rawResults[k]!.name);
    assert.equal(r.call_id, calls[k]!.id, "results follow their calls in order");
    assert.equal(r.source_role, "function");
  });

  const finish = rawCalls.findLast((c) => c.name === "Finish")!;
  const args = JSON.parse(finish.arguments) as { return_type: string; final_answer?: string };
  assert.equal(t.final.answer, args.final_answer ?? null);
  assert.equal(t.final.kind, args.final_answer === undefined ? "none" : "submit_call");
  assert.equal(t.outcome.exit_status, args.return_type);
  assert.deepEqual([t.outcome.success, t.outcome.label_source], [raw.win, "toolbench.win"]);
  assert.deepEqual([t.task.question, t.task.question_origin], [raw.answer_generation.query, "dataset_field"]);
  assert.equal(t.tools?.length, raw.answer_generation.function.length);

  // Messages of the shorter samples that the longest one lacks (the DFS "previous candidates" prompts) are kept.
  const inLongest = new Set(longest.map((m) => JSON.stringify(m)));
  const missing = samples.flatMap((s, i) => (s === longest ? [] : s.filter((m) => !inLongest.has(JSON.stringify(m))).map(() => i)));
  const kept = (t.extra.divergent_train_messages as { index: number; messages: unknown[] }[]).flatMap((d) => d.messages.map(() => d.index));
  assert.deepEqual(kept, missing);
  assert.ok(kept.length > 0);
  assert.equal((t.extra.answer_generation as Record<string, unknown>).train_messages, undefined);
  assert.ok(t.extra.tree !== undefined, "the search tree is kept");
});

const system = { role: "system", content: "You are AutoGPT, you can use many tools(functions) to do the following task." };
const user = { role: "user", content: "\nFind a cat fact.\nBegin!\n" };
const call = (name: string, args: string, content: string | null = null) => ({ role: "assistant", content, function_call: { name, arguments: args } });
const observation = (name: string, error: string, response: string) => ({ role: "function", name, content: JSON.stringify({ error, response }) });

const chain = [
  system,
  user,
  call("get_fact_for_cats", "{}", "Thought: get a fact."),
  observation("get_fact_for_cats", "Timeout error...", ""),
  call("get_fact_for_cats", "{}", "Thought: retry."),
  observation("get_fact_for_cats", "", "Cats sleep 16 hours a day."),
  call("Finish", '{\n  "return_type": "give_answer",\n  "final_answer": "Cats sleep about 16 hours a day."\n}', "I have the fact."),
];
const answer = {
  win: true,
  forward_args: { single_chain_max_step: 12 },
  compare_candidates: [],
  answer_generation: {
    valid_data: true,
    query: "Find a cat fact.",
    final_answer: '{"return_type": "give_answer", "final_answer": "Cats sleep about 16 hours a day."}',
    finish_type: "give_answer",
    function: [{ name: "get_fact_for_cats", description: "A cat fact", parameters: { type: "object", properties: {} } }],
    chain: [],
    train_messages: [chain.slice(0, 3), chain.slice(0, 5), chain],
  },
};

test("toolbench: a give_answer Finish is the final answer; prefixes add no message; failed observations are errors", async () => {
  const file = join(tempDir(), "answer.json");
  writeFileSync(file, JSON.stringify(answer));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.messages.length, chain.length);
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], ["Cats sleep about 16 hours a day.", "submit_call", "I have the fact."]);
  assert.deepEqual([t.outcome.success, t.outcome.exit_status], [true, "give_answer"]);
  assert.deepEqual(resultsOf(t).map((r) => r.role === "tool" && r.is_error), [true, false]);
  assert.equal(t.extra.divergent_train_messages, undefined);
  assert.equal(t.warnings, undefined);
});

test("toolbench: wrong types and empty chains are rejected with their path", async () => {
  const dir = tempDir();
  const generation = answer.answer_generation;
  const badName = structuredClone(answer);
  (badName.answer_generation.train_messages[2]![2] as { function_call: { name: unknown } }).function_call.name = 3;
  writeFileSync(join(dir, "a.json"), JSON.stringify(badName));
  writeFileSync(join(dir, "b.json"), JSON.stringify({ ...answer, answer_generation: { ...generation, train_messages: [chain, "x"] } }));
  writeFileSync(join(dir, "c.json"), JSON.stringify({ ...answer, answer_generation: { ...generation, valid_data: false, train_messages: [] } }));
  writeFileSync(join(dir, "d.json"), JSON.stringify({ ...answer, win: "yes" }));
  const { trajectories, rejects } = await importAll([dir]);
  assert.equal(trajectories.length, 0);
  assert.match(rejects[0]!.reason, /^answer_generation\.train_messages\[2\]\[2\]\.function_call\.name: expected a string/);
  assert.match(rejects[1]!.reason, /^answer_generation\.train_messages\[1\]: expected an array of messages, got a string/);
  assert.match(rejects[2]!.reason, /^answer_generation\.train_messages: no training sample/);
  assert.match(rejects[3]!.reason, /^win: expected a boolean/);
  assert.ok(rejects.every((r) => r.format === "toolbench"));
});
