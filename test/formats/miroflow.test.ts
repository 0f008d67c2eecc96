import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("search-agent-miroflow/task_result.json");

type Part = { type: string; text: string };
interface RawResult {
  message_history: { role: string; content: string | Part[] }[];
  summary: string;
  final_boxed_answer: string;
}

const callsOf = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const resultsOf = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");
const textOf = (content: string | Part[]) => (typeof content === "string" ? content : content.map((p) => p.text).join("\n"));

/** The test's own reading of a `<use_mcp_tool>` block, by splitting on the tag names. */
function blocksOf(text: string) {
  return text
    .split("<use_mcp_tool>")
    .slice(1)
    .map((block) => {
      const field = (name: string) => block.split(`<${name}>`)[1]!.split(`</${name}>`)[0]!;
      return { name: `${field("server_name").trim()}/${field("tool_name").trim()}`, args: field("arguments") };
    });
}

test("miroflow: <use_mcp_tool> blocks become calls, the next user turns their results, final_boxed_answer the answer", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawResult;
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "miroflow");
  const history = raw.message_history;
  assert.equal(t.messages.length, history.length);

  const blocks = history.filter((m) => m.role === "assistant").flatMap((m) => blocksOf(textOf(m.content)));
  const calls = callsOf(t);
  assert.equal(calls.length, blocks.length);
  assert.deepEqual(calls.map((c) => c.name), blocks.map((b) => b.name));
  assert.deepEqual(calls.map((c) => c.raw_arguments), blocks.map((b) => b.args));
  assert.deepEqual(calls.map((c) => c.arguments), blocks.map((b) => JSON.parse(b.args)));
  assert.ok(calls.every((c) => c.type === "text"));

  // A user turn right after an assistant turn with a block carries the result.
  const rawResults = history.filter((m, i) => {
    const previous = history[i - 1];
    return m.role === "user" && previous?.role === "assistant" && blocksOf(textOf(previous.content)).length > 0;
  });
  const results = resultsOf(t);
  assert.equal(results.length, rawResults.length);
  assert.equal(results.length, calls.length);
  results.forEach((r, k) => {
    assert.ok(r.role === "tool");
    assert.equal(r.content, textOf(rawResults[k]!.content));
    assert.equal(r.source_role, "user");
    assert.equal(r.call_id, calls[k]!.id);
    assert.equal(r.name, blocks[k]!.name);
  });

  // The assistant's analysis before the block is its content; nothing of the block is left in it.
  const assistants = t.messages.filter((m) => m.role === "assistant");
  const rawAssistants = history.filter((m) => m.role === "assistant");
  assistants.forEach((a, k) => {
    const before = textOf(rawAssistants[k]!.content).split("<use_mcp_tool>")[0]!.trim();
    assert.ok(a.role === "assistant" && a.content === before);
  });
  const lastAssistant = assistants.at(-1)!;
  assert.ok(lastAssistant.role === "assistant" && lastAssistant.tool_calls.length === 0);

  const firstUser = textOf(history.find((m) => m.role === "user")!.content);
  assert.equal(t.task.question, firstUser.split("\n\nYour task is to")[0]!.trim());
  assert.equal(t.task.question_origin, "extracted_from_template");
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], [raw.final_boxed_answer, "boxed", raw.summary]);
  assert.deepEqual(t.extra, {}, "summary and final_boxed_answer are kept once, in final");
  assert.equal(t.domain, "search");
});

function history(...turns: { role: string; content: string | Part[] }[]) {
  return [{ role: "system", content: [{ type: "text", text: "Use <use_mcp_tool> to call tools." }] }, { role: "user", content: "What is 2+2?" }, ...turns];
}
const block = (server: string, tool: string, args: string) =>
  `<use_mcp_tool>\n<server_name>${server}</server_name>\n<tool_name>${tool}</tool_name>\n<arguments>${args}</arguments>\n</use_mcp_tool>`;

test("miroflow: two blocks in one turn, failed calls, blocks without a tool name, bad JSON arguments, reasoning, no boxed answer", async () => {
  const file = join(tempDir(), "task_result.json");
  const result = {
    message_history: history(
      {
        role: "assistant",
        content: `<think>Two lookups at once.</think>Searching twice.\n\n${block("tool-searching", "google_search", '{"q": "2+2"}')}${block("tool-python", "run", "{not json}")}`,
      },
      { role: "user", content: [{ type: "text", text: '{"organic": []}' }, { type: "text", text: "Tool call to run on tool-python failed. Error: timeout" }] },
      { role: "assistant", content: `Malformed:\n<use_mcp_tool><server_name>x</server_name></use_mcp_tool>` },
      { role: "user", content: "Please use a valid tool." },
      { role: "assistant", content: "It is 4." },
    ),
    summary: "The answer is 4, no box.",
    final_boxed_answer: "No \\boxed{} content found.",
  };
  writeFileSync(file, JSON.stringify(result));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "tool", "assistant", "user", "assistant"]);
  const [first] = t.messages.filter((m) => m.role === "assistant");
  assert.ok(first?.role === "assistant");
  assert.deepEqual([first.content, first.reasoning], ["Searching twice.", "Two lookups at once."]);
  const calls = callsOf(t);
  assert.deepEqual(calls.map((c) => c.name), ["tool-searching/google_search", "tool-python/run"]);
  assert.deepEqual(calls[0]!.arguments, { q: "2+2" });
  assert.equal(calls[1]!.raw_arguments, "{not json}");
  assert.ok(calls[1]!.arguments === null && calls[1]!.arguments_error !== undefined);
  assert.deepEqual(resultsOf(t).map((r) => r.role === "tool" && [r.content, r.is_error, r.name]), [
    ['{"organic": []}', false, "tool-searching/google_search"],
    ["Tool call to run on tool-python failed. Error: timeout", true, "tool-python/run"],
  ]);
  const malformed = t.messages[5]!;
  assert.ok(malformed.role === "assistant" && malformed.tool_calls.length === 0 && malformed.content!.includes("<use_mcp_tool>"));
  assert.equal(t.task.question, "What is 2+2?");
  assert.equal(t.task.question_origin, "first_user_message");
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], [null, "none", result.summary]);
  assert.equal(t.extra.final_boxed_answer, result.final_boxed_answer);
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.field]), [["no-final-answer", "final_boxed_answer"]]);
});

test("miroflow: wrong types are rejected with their path", async () => {
  const dir = tempDir();
  const good = { message_history: history({ role: "assistant", content: "4" }), summary: "4", final_boxed_answer: "4" };
  writeFileSync(join(dir, "a.json"), JSON.stringify({ ...good, message_history: [...good.message_history, { role: "assistant", content: 5 }] }));
  writeFileSync(join(dir, "b.json"), JSON.stringify({ ...good, final_boxed_answer: ["4"] }));
  writeFileSync(join(dir, "c.json"), JSON.stringify({ ...good, message_history: [...good.message_history, { role: "tool", content: "x" }] }));
  writeFileSync(join(dir, "d.json"), JSON.stringify({ ...good, message_history: { role: "user" } }));
  const { trajectories, rejects } = await importAll([dir], { format: "miroflow" });
  assert.equal(trajectories.length, 0);
  assert.deepEqual(rejects.map((r) => r.reason.split(":")[0]), [
    "message_history[3].content",
    "final_boxed_answer",
    "message_history[3].role",
    "message_history",
  ]);
});
