import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Message } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

async function importLines(rows: unknown[]) {
  const file = join(tempDir(), "responses.jsonl");
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  return importAll([file]);
}

const calls = (messages: Message[]) => messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));

test("openai-responses: the real Responses items of a Codex rollout, as a bare item array row and as {items}", { skip: SAMPLES_MISSING }, async () => {
  const dir = sample("codex-rollout-jsonl");
  const file = join(dir, readdirSync(dir).find((name) => name.endsWith(".jsonl"))!);
  type Item = { type: string; role?: string; call_id?: string; name?: string; summary?: { text: string }[]; encrypted_content?: string };
  const items = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { type: string; payload: Item })
    .filter((line) => line.type === "response_item")
    .map((line) => line.payload);
  // a JSON document whose rows are bare item arrays, and a JSONL row {items}
  const arrays = join(tempDir(), "rows.json");
  writeFileSync(arrays, JSON.stringify([items]));
  const fromArrays = await importAll([arrays]);
  const fromItems = await importLines([{ items }]);
  const trajectories = [...fromArrays.trajectories, ...fromItems.trajectories];
  assert.equal(fromArrays.rejects.length + fromItems.rejects.length, 0);
  assert.equal(trajectories.length, 2);
  assert.deepEqual(trajectories[0]!.source.locator, { index: 0, json_pointer: "/0" });
  const rawCalls = items.filter((i) => i.type === "function_call" || i.type === "custom_tool_call");
  const rawOutputs = items.filter((i) => i.type === "function_call_output" || i.type === "custom_tool_call_output");
  const summaries = items.filter((i) => i.type === "reasoning").flatMap((i) => (i.summary ?? []).map((s) => s.text));
  const encryptedOnly = items.filter((i) => i.type === "reasoning" && (i.summary ?? []).length === 0 && i.encrypted_content).length;
  const lastAssistant = [...items].reverse().find((i) => i.type === "message" && i.role === "assistant") as unknown as { content: { text: string }[] };
  for (const t of trajectories) {
    assert.equal(t.source.format, "openai-responses");
    const got = calls(t.messages);
    assert.deepEqual(got.map((c) => [c.id, c.name, c.type]), rawCalls.map((c) => [c.call_id, c.name, c.type === "custom_tool_call" ? "custom" : "function"]));
    const results = t.messages.filter((m) => m.role === "tool");
    assert.deepEqual(results.map((r) => r.role === "tool" && [r.call_id, r.pairing]), rawOutputs.map((o) => [o.call_id, "id"]));
    const patch = got.find((c) => c.type === "custom")!;
    assert.ok(patch.raw_arguments?.startsWith("*** Begin Patch") && patch.arguments === null);
    const roles = items.filter((i) => i.type === "message").map((i) => (i.role === "developer" ? "system" : i.role));
    assert.deepEqual(t.messages.filter((m) => m.role === "system" || m.role === "user" || (m.role === "assistant" && m.content !== null)).map((m) => m.role), roles);
    const reasoning = t.messages.flatMap((m) => (m.role === "assistant" && m.reasoning ? [m.reasoning] : []));
    assert.deepEqual(reasoning.join("\n\n"), summaries.join("\n\n"));
    assert.ok(encryptedOnly > 0);
    assert.deepEqual(t.warnings?.map((w) => [w.code, w.count]), [["opaque-reasoning", encryptedOnly]]);
    assert.match(t.warnings?.map((w) => w.message).join("\n") ?? "", new RegExp(`${encryptedOnly} reasoning item\\(s\\) hold only encrypted_content`));
    assert.equal(t.final.answer, lastAssistant.content.map((c) => c.text).join("\n"));
  }
});

const REQUEST_RESPONSE = {
  request: {
    model: "gpt-5.3-codex",
    instructions: "You are a research agent.",
    tools: [
      { type: "function", name: "fetch_page", description: "Fetch a URL", parameters: { type: "object", properties: { url: { type: "string" } } } },
      { type: "web_search" },
    ],
    input: [{ role: "user", content: [{ type: "input_text", text: "Who founded the Hanseatic League archive?" }] }],
  },
  response: {
    id: "resp_1",
    status: "completed",
    usage: { input_tokens: 120, output_tokens: 80 },
    output_text: "duplicate of the final message",
    output: [
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Search first." }], encrypted_content: "gAAAA-opaque" },
      { type: "message", id: "msg_1", role: "assistant", phase: "commentary", content: [{ type: "output_text", text: "Searching the web.", annotations: [] }] },
      { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "Hanseatic archive founder", sources: [{ type: "url", url: "https://example.org/hansa" }] } },
      { type: "function_call", id: "fc_1", call_id: "call_fetch", name: "fetch_page", arguments: '{"url": "https://example.org/hansa"}' },
      { type: "function_call_output", call_id: "call_fetch", output: "The archive was founded by J. Müller in 1870." },
      { type: "reasoning", id: "rs_2", summary: [], content: [{ type: "reasoning_text", text: "The page names Müller." }] },
      {
        type: "message",
        id: "msg_2",
        role: "assistant",
        phase: "final_answer",
        content: [{ type: "output_text", text: "J. Müller (1870).", annotations: [{ type: "url_citation", url: "https://example.org/hansa" }] }],
      },
      { type: "message", id: "msg_3", role: "assistant", phase: "commentary", content: [{ type: "output_text", text: "Anything else?" }] },
    ],
  },
};

test("openai-responses: {request, response} with phases, reasoning, a server web search and a function call", async () => {
  const { trajectories, rejects } = await importLines([REQUEST_RESPONSE]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.model, "gpt-5.3-codex");
  assert.deepEqual(t.tools?.map((tool) => tool.name), ["fetch_page", "web_search"]);
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "assistant"]);
  const [, , commentary, search, fetch, page, answer] = t.messages;
  assert.ok(commentary?.role === "assistant" && fetch?.role === "assistant" && answer?.role === "assistant");
  assert.deepEqual([commentary.content, commentary.reasoning, commentary.extra?.phase], ["Searching the web.", "Search first.", "commentary"]);
  assert.deepEqual(commentary.tool_calls.map((c) => [c.id, c.name, c.type]), [["ws_1", "web_search", "server"]]);
  assert.deepEqual(commentary.tool_calls[0]!.arguments, { type: "search", query: "Hanseatic archive founder" });
  assert.ok(search?.role === "tool" && search.call_id === "ws_1" && search.content === "https://example.org/hansa");
  assert.deepEqual(fetch.tool_calls.map((c) => [c.id, c.raw_arguments]), [["call_fetch", '{"url": "https://example.org/hansa"}']]);
  assert.ok(page?.role === "tool" && page.call_id === "call_fetch" && page.pairing === "id");
  assert.deepEqual([answer.content, answer.reasoning, answer.source_id], ["J. Müller (1870).", "The page names Müller.", "msg_2"]);
  assert.deepEqual(answer.extra?.annotations, [{ type: "url_citation", url: "https://example.org/hansa" }]);
  // the last message is commentary: the final answer is the final_answer message
  assert.deepEqual(t.final, { answer: "J. Müller (1870).", reasoning: "The page names Müller.", kind: "message" });
  assert.deepEqual(t.extra, { response: { id: "resp_1", status: "completed", usage: { input_tokens: 120, output_tokens: 80 } } });
  assert.equal(t.domain, "search");
});

test("openai-responses: a phase-tagged log with no final_answer message has no final answer", async () => {
  const { trajectories } = await importLines([
    {
      input: "Refactor utils.py",
      output: [{ type: "message", role: "assistant", phase: "commentary", content: [{ type: "output_text", text: "Looking at the file." }] }],
    },
  ]);
  assert.deepEqual(trajectories[0]!.final, { answer: null, reasoning: null, kind: "none" });
  assert.equal(trajectories[0]!.task.question, "Refactor utils.py");
});

test("openai-responses: OpenAI Agents JS history (callId, function_call_result, providerData reasoning) as a JSON document", async () => {
  const file = join(tempDir(), "history.json");
  writeFileSync(
    file,
    JSON.stringify([
      { type: "message", role: "user", content: "What is 1?" },
      { type: "function_call", callId: "call_abc", name: "run_sql", arguments: '{"query": "SELECT 1"}', status: "completed", id: "chatcmpl-1" },
      { type: "function_call_result", callId: "call_abc", name: "run_sql", status: "completed", output: { type: "text", text: '[{"1":1}]' } },
      { type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "The answer is 1.", providerData: { reasoning_content: "one row" } }] },
    ]),
  );
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "openai-responses");
  assert.deepEqual(t.source.locator, { json_pointer: "" });
  const result = t.messages[2]!;
  assert.ok(result.role === "tool" && result.call_id === "call_abc" && result.content === '[{"1":1}]');
  assert.deepEqual([t.final.answer, t.final.reasoning], ["The answer is 1.", "one row"]);
  assert.equal(t.domain, "sql");
});

test("openai-responses: custom tool calls, shell calls, compaction and unknown items", async () => {
  const { trajectories, rejects } = await importLines([
    {
      items: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "fix the bug" }] },
        { type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: "*** Begin Patch\n*** End Patch" },
        { type: "custom_tool_call_output", call_id: "c1", output: "Done" },
        { type: "compaction", id: "cmp_1", encrypted_content: "opaque" },
        { type: "local_shell_call", id: "ls_1", call_id: "c2", action: { type: "exec", command: ["pytest", "-q"] }, status: "completed" },
        { type: "local_shell_call_output", id: "c2", output: "1 passed" },
        { type: "future_item", payload: 1 },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Fixed." }] },
      ],
    },
  ]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  const [patch, shell] = calls(t.messages);
  assert.deepEqual([patch!.type, patch!.raw_arguments, patch!.arguments], ["custom", "*** Begin Patch\n*** End Patch", null]);
  assert.deepEqual([shell!.type, shell!.name, shell!.arguments], ["shell", "local_shell", { type: "exec", command: ["pytest", "-q"] }]);
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(results.map((r) => r.role === "tool" && [r.call_id, r.content]), [["c1", "Done"], ["c2", "1 passed"]]);
  assert.deepEqual(t.events, [{ kind: "compaction", message_index: 3, marker: "compaction", summary: null }]);
  assert.deepEqual(t.extra, { unknown_items: [{ type: "future_item", payload: 1 }] });
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.field, w.name]), [["unknown-type", "items[6]", "future_item"]]);
  assert.match(t.warnings?.[0]?.message ?? "", /items\[6\]: item type "future_item" is not understood/);
  assert.equal(t.final.answer, "Fixed.");
});

test("openai-responses detection: Responses rows are not taken by other importers, chat rows are not taken by it", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "responses.jsonl"), `${JSON.stringify(REQUEST_RESPONSE)}\n`);
  writeFileSync(join(dir, "chat.jsonl"), `${JSON.stringify({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }] })}\n`);
  const { trajectories } = await importAll([dir]);
  assert.deepEqual(trajectories.map((t) => [t.source.file.slice(dir.length + 1), t.source.format]).sort(), [
    ["chat.jsonl", "openai-chat"],
    ["responses.jsonl", "openai-responses"],
  ]);
});

test("openai-responses bad input: wrong types are rejected with the path of the bad field", async () => {
  const good = { input: [{ role: "user", content: "hi" }], output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "yo" }] }] };
  const { trajectories, rejects } = await importLines([
    good,
    { input: "x", output: [{ type: "reasoning", summary: [] }, { type: "function_call", call_id: "c", name: 7, arguments: "{}" }] },
    { request: { input: [{ type: "message", role: "robot", content: "beep" }] }, response: { output: [] } },
    { items: "not a list" },
    { input: [{ role: "user", content: 5 }], output: [{ type: "function_call_output", call_id: "c", output: "ok" }] },
    [{ type: "function_call", call_id: "c", name: "f", arguments: "{}" }, 42],
    { input: "x", instructions: 3, output: [{ type: "reasoning", summary: [] }] },
  ]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(rejects.map((r) => [r.locator.line, r.code]), [2, 3, 4, 5, 6, 7].map((line) => [line, "wrong-shape"]));
  const reasons = rejects.map((r) => r.reason);
  assert.match(reasons[0]!, /^output\[1\]\.name: expected a string, got a number/);
  assert.match(reasons[1]!, /^request\.input\[0\]\.role: expected user, system, developer or assistant, got "robot"/);
  assert.match(reasons[2]!, /^items: expected an array of items, got a string/);
  assert.match(reasons[3]!, /^input\[0\]\.content: expected a string or an array of content parts, got a number/);
  assert.match(reasons[4]!, /^\[1\]: expected an item object, got a number/);
  assert.match(reasons[5]!, /^instructions: expected a string or an array of items, got a number/);
});
