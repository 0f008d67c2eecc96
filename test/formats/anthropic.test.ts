import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Message } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

async function importRows(rows: unknown[]) {
  const file = join(tempDir(), "anthropic.jsonl");
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  return importAll([file]);
}

const calls = (messages: Message[]) => messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));

type Block = { type: string; id?: string; name?: string; tool_use_id?: string; is_error?: boolean; thinking?: string; signature?: string };
type ApiMessage = { role: "user" | "assistant"; content: string | Block[] };

test("anthropic: the Messages API messages of a real Claude Code session keep every tool_use, tool_result and thinking block", { skip: SAMPLES_MISSING }, async () => {
  const lines = readFileSync(sample("claude-code-jsonl/4d5611e5-241a-462a-8d15-5122611a9569.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { type: string; message?: ApiMessage });
  const messages = lines.filter((l) => (l.type === "user" || l.type === "assistant") && l.message).map((l) => l.message!);
  const blocks = messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
  const { trajectories, rejects } = await importRows([{ messages }]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "anthropic");
  const uses = blocks.filter((b) => b.type === "tool_use");
  assert.ok(uses.length > 0);
  assert.deepEqual(calls(t.messages).map((c) => [c.id, c.name, c.raw_arguments]), uses.map((b) => [b.id, b.name, null]));
  const rawResults = blocks.filter((b) => b.type === "tool_result");
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(
    results.map((r) => r.role === "tool" && [r.call_id, r.is_error, r.source_role, r.pairing]),
    rawResults.map((b) => [b.tool_use_id, b.is_error === true, "user", "id"]),
  );
  const thinking = blocks.filter((b) => b.type === "thinking");
  assert.deepEqual(
    t.messages.flatMap((m) => (m.role === "assistant" && m.reasoning !== null ? [m.reasoning] : [])),
    thinking.map((b) => b.thinking),
  );
  assert.deepEqual(
    t.messages.flatMap((m) => (m.extra?.thinking_signatures as string[] | undefined) ?? []),
    thinking.map((b) => b.signature),
  );
  const rawIds = new Set(messages.flatMap((m) => (m.role === "assistant" && typeof (m as { id?: unknown }).id === "string" ? [(m as { id?: unknown }).id as string] : [])));
  assert.deepEqual(new Set(t.messages.flatMap((m) => (m.role === "assistant" && m.source_id ? [m.source_id] : []))), rawIds);
  const stringUsers = messages.filter((m) => m.role === "user" && typeof m.content === "string");
  assert.equal(t.messages.filter((m) => m.role === "user").length, stringUsers.length + messages.filter((m) => m.role === "user" && Array.isArray(m.content) && m.content.some((b) => b.type !== "tool_result")).length);
});

const SEARCH_ROW = {
  model: "claude-sonnet-4-5",
  system: [{ type: "text", text: "You answer with sources.", cache_control: { type: "ephemeral" } }],
  tools: [
    { name: "read_file", description: "Read a file", input_schema: { type: "object", properties: { path: { type: "string" } } } },
    { type: "web_search_20250305", name: "web_search", max_uses: 3 },
  ],
  messages: [
    { role: "user", content: "When was the Elbphilharmonie opened? Also check notes.txt." },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Search the web, then read the notes.", signature: "sig-1" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy-opaque" },
        { type: "text", text: "Let me search." },
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "Elbphilharmonie opening date" } },
        {
          type: "web_search_tool_result",
          tool_use_id: "srvtoolu_1",
          content: [
            { type: "web_search_result", url: "https://example.org/elbphil", title: "Elbphilharmonie - history", encrypted_content: "opaque", page_age: "2024" },
            { type: "web_search_result", url: "https://example.org/hamburg", title: "Hamburg venues", encrypted_content: "opaque" },
          ],
        },
        { type: "server_tool_use", id: "srvtoolu_2", name: "web_search", input: { query: "Elbphilharmonie architects" } },
        { type: "web_search_tool_result", tool_use_id: "srvtoolu_2", content: { type: "web_search_tool_result_error", error_code: "max_uses_exceeded" } },
        { type: "text", text: "It opened on " },
        { type: "text", text: "11 January 2017", citations: [{ type: "web_search_result_location", url: "https://example.org/elbphil", cited_text: "opened 11 January 2017" }] },
        { type: "text", text: "." },
        { type: "tool_use", id: "toolu_1", name: "read_file", input: { path: "notes.txt" } },
      ],
      stop_reason: "tool_use",
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", is_error: true, content: [{ type: "text", text: "ENOENT: notes.txt" }, { type: "image", source: { type: "base64", data: "AAAA" } }] },
        { type: "text", text: "Never mind the notes." },
      ],
    },
    { role: "assistant", content: [{ type: "text", text: "The Elbphilharmonie opened on 11 January 2017." }] },
  ],
};

test("anthropic: server tools, thinking with signature, redacted thinking, citations and tool_result errors", async () => {
  const { trajectories, rejects } = await importRows([SEARCH_ROW]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "anthropic");
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "user", "assistant"]);
  const [system, , first, search, second, searchError, third, fileResult, user] = t.messages;
  assert.equal(system!.content, "You answer with sources.");
  assert.ok(first?.role === "assistant" && second?.role === "assistant" && third?.role === "assistant");
  assert.deepEqual([first.content, first.reasoning], ["Let me search.", "Search the web, then read the notes."]);
  assert.deepEqual(first.extra, { thinking_signatures: ["sig-1"], redacted_thinking: ["EmwKAhgBEgy-opaque"] });
  assert.deepEqual(first.tool_calls.map((c) => [c.id, c.type, c.arguments]), [["srvtoolu_1", "server", { query: "Elbphilharmonie opening date" }]]);
  assert.ok(search?.role === "tool" && search.call_id === "srvtoolu_1" && search.source_role === "assistant" && !search.is_error);
  assert.equal(search.content, "Elbphilharmonie - history\nhttps://example.org/elbphil\nHamburg venues\nhttps://example.org/hamburg");
  // What the text does not show is kept: the provider's encrypted page copies (needed to cite them later) and the page age.
  assert.deepEqual(search.extra?.search_results, [
    { url: "https://example.org/elbphil", encrypted_content: "opaque", page_age: "2024" },
    { url: "https://example.org/hamburg", encrypted_content: "opaque" },
  ]);
  assert.deepEqual(second.tool_calls.map((c) => c.id), ["srvtoolu_2"]);
  assert.ok(searchError?.role === "tool" && searchError.is_error && searchError.content === "max_uses_exceeded");
  // text split around a citation is one sentence; the client tool call rides with it
  assert.equal(third.content, "It opened on 11 January 2017.");
  assert.deepEqual(third.extra?.citations, [{ type: "web_search_result_location", url: "https://example.org/elbphil", cited_text: "opened 11 January 2017" }]);
  assert.equal(third.extra?.stop_reason, "tool_use");
  assert.deepEqual(third.tool_calls.map((c) => [c.id, c.type, c.raw_arguments, c.arguments]), [["toolu_1", "function", null, { path: "notes.txt" }]]);
  assert.ok(fileResult?.role === "tool" && fileResult.is_error && fileResult.source_role === "user" && fileResult.name === "read_file");
  assert.equal(fileResult.content, "ENOENT: notes.txt\n[image]");
  assert.equal(user!.content, "Never mind the notes.");
  assert.equal(t.final.answer, "The Elbphilharmonie opened on 11 January 2017.");
  assert.deepEqual(t.tools, [
    { name: "read_file", description: "Read a file", parameters: { type: "object", properties: { path: { type: "string" } } } },
    // A server tool's settings have no slot of their own; they are kept with the tool.
    { name: "web_search", extra: { type: "web_search_20250305", max_uses: 3 } },
  ]);
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.count, w.field]), [["opaque-reasoning", 1, "messages[1]"]]);
  assert.match(t.warnings?.[0]?.message ?? "", /messages\[1\]: 1 redacted_thinking block\(s\) are opaque; their data is kept under extra.redacted_thinking/);
  assert.equal(t.model, "claude-sonnet-4-5");
  // The audit finds nothing lost unexplained: opaque parts are kept, image bytes are the [image] placeholder.
  const file = join(tempDir(), "anthropic.jsonl");
  writeFileSync(file, `${JSON.stringify(SEARCH_ROW)}\n`);
  const { audits } = await importAll([file], { audit: true });
  const dropped = Object.values(audits[0]!.counts.dropped);
  assert.deepEqual(dropped.filter((d) => d.reason === null).map((d) => d.path), []);
  assert.deepEqual(dropped.filter((d) => d.reason === "noise").map((d) => d.path), ["/messages/*/content/*/content/*/source/data"]);
});

test("anthropic: a request with its response beside it; the response is the last assistant message", async () => {
  const request = { model: "claude-opus-4-1", system: "Be brief.", max_tokens: 1024, messages: [{ role: "user", content: "2+2?" }] };
  const response = {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-opus-4-1-20250805",
    content: [{ type: "thinking", thinking: "trivial", signature: "s" }, { type: "text", text: "4" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 10, output_tokens: 3 },
  };
  const { trajectories, rejects } = await importRows([{ request, response, latency_ms: 812 }, { ...request, response }]);
  assert.equal(rejects.length, 0);
  for (const t of trajectories) {
    assert.equal(t.source.format, "anthropic");
    assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant"]);
    assert.deepEqual([t.final.answer, t.final.reasoning], ["4", "trivial"]);
    assert.equal(t.model, "claude-opus-4-1-20250805");
    assert.deepEqual(t.messages[2]!.extra, { thinking_signatures: ["s"], stop_reason: "end_turn", usage: { input_tokens: 10, output_tokens: 3 } });
    assert.equal(t.messages[2]!.source_id, "msg_01");
  }
  assert.deepEqual(trajectories[0]!.extra, { latency_ms: 812, request: { max_tokens: 1024 } });
  assert.deepEqual(trajectories[1]!.extra, { max_tokens: 1024 });
});

test("anthropic detection: Anthropic blocks beat openai-chat; plain chat stays openai-chat", async () => {
  const dir = tempDir();
  const anthropicRow = {
    messages: [
      { role: "user", content: "list files" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_9", name: "bash", input: { command: "ls" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_9", content: "a.txt" }] },
    ],
  };
  writeFileSync(join(dir, "a.jsonl"), `${JSON.stringify(anthropicRow)}\n`);
  writeFileSync(join(dir, "b.jsonl"), `${JSON.stringify({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] })}\n`);
  const { trajectories, rejects } = await importAll([dir]);
  assert.equal(rejects.length, 0);
  assert.deepEqual(trajectories.map((t) => t.source.format), ["anthropic", "openai-chat"]);
  const result = trajectories[0]!.messages[2]!;
  assert.ok(result.role === "tool" && result.call_id === "toolu_9" && result.content === "a.txt" && result.name === "bash");
});

test("anthropic bad input: wrong types are rejected with the path of the bad field", async () => {
  const good = { system: "s", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] };
  const { trajectories, rejects } = await importRows([
    good,
    { system: "s", messages: [{ role: "user", content: "q" }, { role: "assistant", content: [{ type: "tool_use", id: "t", name: 5, input: {} }] }] },
    { system: "s", messages: [{ role: "user", content: [{ type: "tool_result", content: "orphan" }] }] },
    { system: "s", messages: [{ role: "system", content: "x" }] },
    { system: "s", messages: [{ role: "user", content: 12 }] },
    { system: 7, messages: [{ role: "user", content: "q" }] },
    { system: "s", messages: [{ role: "user", content: "q" }, { role: "assistant", content: [{ type: "thinking" }] }] },
    { system: "s", messages: [{ role: "user", content: "q" }], response: "oops" },
  ]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(rejects.map((r) => r.locator.line), [2, 3, 4, 5, 6, 7, 8]);
  const reasons = rejects.map((r) => r.reason);
  assert.match(reasons[0]!, /^messages\[1\]\.content\[0\]\.name: expected a string, got a number/);
  assert.match(reasons[1]!, /^messages\[0\]\.content\[0\]\.tool_use_id: expected a string, got nothing/);
  assert.match(reasons[2]!, /^messages\[0\]\.role: expected user or assistant, got "system"/);
  assert.match(reasons[3]!, /^messages\[0\]\.content: expected a string or an array of blocks, got a number/);
  assert.match(reasons[4]!, /^system: expected a string or an array of text blocks, got a number/);
  assert.match(reasons[5]!, /^messages\[1\]\.content\[0\]\.thinking: expected a string, got nothing/);
  assert.match(reasons[6]!, /^response: expected a message object, got a string/);
});
