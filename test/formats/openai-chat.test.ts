import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Message } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

async function importRows(rows: unknown[]) {
  const file = join(tempDir(), "chat.jsonl");
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  return importAll([file]);
}

const calls = (messages: Message[]) => messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));

test("openai-chat: the real tau-bench conversations as {messages} rows keep every message, call and result", { skip: SAMPLES_MISSING }, async () => {
  type RawMessage = { role: string; content: string | null; tool_calls?: { id: string }[]; tool_call_id?: string };
  const runs = JSON.parse(readFileSync(sample("openai-chat-tau-bench/gpt-4o-airline.json"), "utf8")) as { traj: RawMessage[] }[];
  const { trajectories, rejects } = await importRows(runs.map((run) => ({ messages: run.traj })));
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, runs.length);
  for (const [i, run] of runs.entries()) {
    const t = trajectories[i]!;
    assert.equal(t.source.format, "openai-chat");
    assert.equal(t.messages.length, run.traj.length);
    assert.equal(calls(t.messages).length, run.traj.flatMap((m) => m.tool_calls ?? []).length);
    const results = t.messages.filter((m) => m.role === "tool");
    assert.equal(results.length, run.traj.filter((m) => m.role === "tool").length);
    const ids = new Set(calls(t.messages).map((c) => c.id));
    for (const r of results) assert.ok(r.role === "tool" && r.call_id !== null && ids.has(r.call_id) && r.pairing !== "unpaired");
    const lastAnswer = [...run.traj].reverse().find((m) => m.role === "assistant" && (m.tool_calls ?? []).length === 0);
    assert.equal(t.final.answer, lastAnswer?.content ?? null);
  }
});

test("openai-chat: legacy function_call and role function pair by position", async () => {
  const { trajectories, rejects } = await importRows([
    {
      messages: [
        { role: "user", content: "Weather in Paris, then in Rome?" },
        { role: "assistant", content: null, function_call: { name: "get_weather", arguments: '{"city": "Paris"}' } },
        { role: "function", name: "get_weather", content: "18C" },
        { role: "assistant", content: "Now Rome.", function_call: { name: "get_weather", arguments: '{"city": "Rome"}' } },
        { role: "function", name: "get_weather", content: "24C" },
        { role: "assistant", content: "Paris 18C, Rome 24C." },
      ],
    },
  ]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  const [first, second] = calls(t.messages);
  assert.deepEqual([first!.arguments, second!.arguments], [{ city: "Paris" }, { city: "Rome" }]);
  assert.equal(first!.raw_arguments, '{"city": "Paris"}');
  assert.ok(first!.id_origin === "synthesised" && first!.id !== second!.id);
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(
    results.map((r) => r.role === "tool" && [r.call_id, r.pairing, r.source_role, r.content]),
    [
      [first!.id, "position", "function", "18C"],
      [second!.id, "position", "function", "24C"],
    ],
  );
  // the function_call object was mapped, not also kept under extra
  assert.equal(t.messages[1]!.extra, undefined);
  assert.equal(t.final.answer, "Paris 18C, Rome 24C.");
});

test("openai-chat: a legacy function_call stored as a JSON string is read; one that is not JSON stays under extra", async () => {
  const pythonRepr = "{'name': 'search', 'arguments': '{}'}";
  const { trajectories, rejects } = await importRows([
    {
      messages: [
        { role: "user", content: "find it" },
        { role: "assistant", content: "Searching.", function_call: JSON.stringify({ name: "search", arguments: '{"q": "it"}' }) },
        { role: "function", name: "search", content: "found" },
        { role: "assistant", content: "Again.", function_call: pythonRepr },
      ],
    },
  ]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.deepEqual(calls(t.messages).map((c) => [c.name, c.arguments]), [["search", { q: "it" }]]);
  assert.equal(t.messages[1]!.extra, undefined);
  assert.deepEqual(t.messages[3]!.extra, { function_call: pythonRepr });
});

test("openai-chat: reasoning_content and vLLM's reasoning land in reasoning; a copy is kept once, a different one under extra", async () => {
  const { trajectories } = await importRows([
    {
      messages: [
        { role: "user", content: "2+2?" },
        { role: "assistant", content: "4", reasoning_content: "add them" },
        { role: "user", content: "3+3?" },
        { role: "assistant", content: "6", reasoning: "vllm style" },
        { role: "user", content: "4+4?" },
        { role: "assistant", content: "8", reasoning_content: "same", reasoning: "same" },
        { role: "user", content: "5+5?" },
        { role: "assistant", content: "10", reasoning_content: "deepseek", reasoning: "other" },
      ],
    },
  ]);
  const assistants = trajectories[0]!.messages.filter((m) => m.role === "assistant");
  assert.deepEqual(
    assistants.map((m) => m.role === "assistant" && m.reasoning),
    ["add them", "vllm style", "same", "deepseek"],
  );
  assert.deepEqual(assistants.map((m) => m.extra), [undefined, undefined, undefined, { reasoning: "other" }]);
  assert.equal(trajectories[0]!.final.reasoning, "deepseek");
});

test("openai-chat: content part arrays become text (refusals included, images as placeholders)", async () => {
  const { trajectories } = await importRows([
    {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          ],
        },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't identify people." }] },
        { role: "user", content: [{ type: "text", text: "ok" }], name: "alice" },
        { role: "assistant", content: [{ type: "text", text: "part one" }, { type: "text", text: "part two" }] },
      ],
    },
  ]);
  const [user, refusal, named, parts] = trajectories[0]!.messages;
  assert.equal(user!.content, "What is in this picture?\n[image]");
  assert.equal(refusal!.content, "I can't identify people.");
  assert.equal(named!.content, "ok");
  assert.deepEqual(named!.extra, { name: "alice" });
  assert.equal(parts!.content, "part one\npart two");
});

test("openai-chat fuzzy rows: null content with tool calls, invalid JSON arguments kept raw, developer role, keys spelled out as null", async () => {
  const { trajectories, rejects } = await importRows([
    {
      messages: [
        { role: "developer", content: "Be terse." },
        { role: "user", content: "List files", name: null },
        {
          role: "assistant",
          content: null,
          reasoning_content: null,
          function_call: null,
          audio: null,
          tool_calls: [
            { id: "call_a", type: "function", index: -1, function: { name: "bash", arguments: '{"cmd": "ls' } },
            { id: "call_b", type: "function", function: { name: "read", arguments: { path: "a.txt" } } },
          ],
        },
        { role: "tool", tool_call_id: "call_b", name: "read", content: "hello" },
        { role: "tool", tool_call_id: "call_a", content: [{ type: "text", text: "a.txt" }] },
        { role: "assistant", content: "Done." },
      ],
    },
  ]);
  assert.equal(rejects.length, 0);
  const [system, user, assistant, resultB, resultA] = trajectories[0]!.messages;
  assert.deepEqual([system!.role, system!.source_role, system!.content], ["system", "developer", "Be terse."]);
  assert.equal(trajectories[0]!.task.system_prompt, "Be terse.");
  assert.equal(user!.extra, undefined, "null-valued keys are not kept");
  assert.ok(assistant!.role === "assistant");
  assert.equal(assistant!.content, null);
  assert.equal(assistant!.extra, undefined);
  const [bash, read] = assistant!.tool_calls;
  assert.equal(bash!.raw_arguments, '{"cmd": "ls');
  assert.equal(bash!.arguments, null);
  assert.match(bash!.arguments_error ?? "", /JSON/);
  assert.equal(read!.raw_arguments, null);
  assert.deepEqual(read!.arguments, { path: "a.txt" });
  assert.ok(resultB!.role === "tool" && resultB!.call_id === "call_b" && resultB!.pairing === "id");
  assert.ok(resultA!.role === "tool" && resultA!.call_id === "call_a" && resultA!.content === "a.txt" && resultA!.name === "bash");
});

test("openai-chat: custom (free-form) tool calls keep their input as raw text", async () => {
  const patch = "*** Begin Patch\n*** Update File: a.py\n-x\n+y\n*** End Patch";
  const { trajectories } = await importRows([
    {
      messages: [
        { role: "user", content: "fix it" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "custom", custom: { name: "apply_patch", input: patch } }] },
        { role: "tool", tool_call_id: "c1", content: "applied" },
      ],
      tools: [{ type: "custom", custom: { name: "apply_patch", description: "Apply a patch" } }],
    },
  ]);
  const t = trajectories[0]!;
  assert.deepEqual(calls(t.messages)[0], {
    id: "c1",
    id_origin: "source",
    name: "apply_patch",
    type: "custom",
    raw_arguments: patch,
    arguments: null,
  });
  assert.deepEqual(t.tools, [{ name: "apply_patch", description: "Apply a patch" }]);
});

test("openai-chat bad input: wrong types are rejected with the path of the bad field", async () => {
  const ok = { messages: [{ role: "user", content: "hi" }] };
  const { trajectories, rejects } = await importRows([
    ok,
    { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "x", tool_calls: { id: "c" } }] },
    { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: 3 } }] }] },
    { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, function_call: { arguments: "{}" } }] },
    { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [{ id: "c", type: "custom", custom: { name: "p", input: 5 } }] }] },
  ]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(
    rejects.map((r) => [r.locator.line, r.code]),
    [[2, "wrong-shape"], [3, "wrong-shape"], [4, "wrong-shape"], [5, "wrong-shape"]],
  );
  assert.match(rejects[0]!.reason, /messages\[1\]\.tool_calls: expected an array/);
  assert.match(rejects[1]!.reason, /messages\[1\]\.tool_calls\[0\]\.function\.name: expected a string/);
  assert.match(rejects[2]!.reason, /messages\[1\]\.function_call\.name: expected a string/);
  assert.match(rejects[3]!.reason, /messages\[1\]\.tool_calls\[0\]\.custom\.input: expected a string/);
});

test("openai-chat: LLaMA-Factory's real tool-use rows (content as typed parts) keep every call, reasoning part and result", async () => {
  const file = realFixture("llamafactory-reason-tool-use.jsonl");
  type Part = { type: string; value: string };
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { messages: { role: string; content: Part[] }[]; tools: string });
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, rows.length);
  trajectories.forEach((t, k) => {
    const raw = rows[k]!.messages;
    assert.equal(t.source.format, "openai-chat");
    assert.deepEqual(t.messages.map((m) => m.role), raw.map((m) => m.role));
    const partsOf = (type: string) => raw.map((m) => m.content.filter((p) => p.type === type).map((p) => p.value));
    const calls = t.messages.map((m) => (m.role === "assistant" ? m.tool_calls.map((c) => ({ name: c.name, arguments: c.arguments })) : []));
    assert.deepEqual(calls, partsOf("tool_call").map((values) => values.map((v) => JSON.parse(v) as unknown)));
    assert.deepEqual(t.messages.map((m) => (m.role === "assistant" ? m.reasoning : null)), raw.map((m, i) => (m.role === "assistant" ? partsOf("reasoning")[i]!.join("\n\n") || null : null)));
    // Text parts are the content; reasoning and calls are not mixed into it.
    assert.deepEqual(t.messages.map((m) => m.content ?? ""), partsOf("text").map((texts) => texts.join("\n")));
    const results = t.messages.filter((m) => m.role === "tool");
    assert.ok(results.every((r) => r.role === "tool" && r.pairing === "position"));
    assert.deepEqual(t.tools?.map((tool) => tool.name), (JSON.parse(rows[k]!.tools) as { function: { name: string } }[]).map((tool) => tool.function.name));
  });
  const total = trajectories.reduce((n, t) => n + t.messages.reduce((c, m) => c + (m.role === "assistant" ? m.tool_calls.length : 0), 0), 0);
  assert.equal(total, rows.reduce((n, r) => n + r.messages.reduce((c, m) => c + m.content.filter((p) => p.type === "tool_call").length, 0), 0));
});
