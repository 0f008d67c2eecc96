import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { codexImporter } from "../../src/formats/codex/importer.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("codex-rollout-jsonl/agentlogs_crud_codex-exec-0.89.jsonl");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw log lines are read loosely, to count facts independently of the importer
type Raw = Record<string, any>;
const rawLines = (): Raw[] => readFileSync(FILE, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
const items = (lines: Raw[], ...types: string[]) => lines.filter((l) => l.type === "response_item" && types.includes(l.payload.type)).map((l) => l.payload);
const events = (lines: Raw[], type: string) => lines.filter((l) => l.type === "event_msg" && l.payload.type === type).map((l) => l.payload);
const calls = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const tools = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");

let imported: Promise<Trajectory> | undefined;
const importSample = () =>
  (imported ??= importAll([FILE]).then(({ trajectories, rejects }) => {
    assert.deepEqual(rejects, []);
    assert.equal(trajectories.length, 1);
    return trajectories[0]!;
  }));

test("codex: every function_call and custom_tool_call is a call with its raw arguments kept", { skip: SAMPLES_MISSING }, async () => {
  const raw = items(rawLines(), "function_call", "custom_tool_call");
  const t = await importSample();
  assert.equal(t.source.format, "codex");
  assert.deepEqual(calls(t).map((c) => c.id), raw.map((item) => item.call_id));
  for (const [i, call] of calls(t).entries()) {
    const item = raw[i]!;
    assert.equal(call.name, item.name);
    if (item.type === "function_call") {
      assert.equal(call.type, "function");
      assert.equal(call.raw_arguments, item.arguments);
      assert.deepEqual(call.arguments, JSON.parse(item.arguments));
    } else {
      // apply_patch input is free text, not JSON
      assert.equal(call.type, "custom");
      assert.equal(call.raw_arguments, item.input);
      assert.equal(call.arguments, null);
      assert.equal(call.arguments_error, undefined);
    }
  }
});

test("codex: outputs are tool messages paired with their call by call_id", { skip: SAMPLES_MISSING }, async () => {
  const lines = rawLines();
  const outputs = items(lines, "function_call_output", "custom_tool_call_output");
  const nameOf = new Map(items(lines, "function_call", "custom_tool_call").map((item) => [item.call_id, item.name]));
  const t = await importSample();
  assert.equal(tools(t).length, outputs.length);
  for (const [i, message] of tools(t).entries()) {
    assert.ok(message.role === "tool");
    assert.equal(message.call_id, outputs[i]!.call_id);
    assert.equal(message.pairing, "id");
    assert.equal(message.name, nameOf.get(outputs[i]!.call_id));
    assert.equal(message.content, outputs[i]!.output);
  }
});

test("codex: event_msg mirrors are dropped, so their content appears once", { skip: SAMPLES_MISSING }, async () => {
  const lines = rawLines();
  const t = await importSample();
  const mirrored = [
    ...events(lines, "user_message").map((e) => e.message),
    ...events(lines, "agent_message").map((e) => e.message),
    ...events(lines, "agent_reasoning").map((e) => e.text),
  ];
  assert.ok(mirrored.length >= 3);
  const texts = t.messages.flatMap((m) => [m.content, m.role === "assistant" ? m.reasoning : null]);
  for (const text of mirrored) assert.equal(texts.filter((x) => x === text).length, 1, text);
  const skipped = t.extra.skipped_lines as Record<string, number>;
  assert.equal(skipped["event_msg:token_count"], events(lines, "token_count").length);
  assert.equal(skipped.turn_context, lines.filter((l) => l.type === "turn_context").length);
});

test("codex: session meta, injected context, reasoning and the final answer", { skip: SAMPLES_MISSING }, async () => {
  const lines = rawLines();
  const meta = lines[0]!.payload;
  const t = await importSample();
  assert.equal(t.source.format_version, meta.cli_version);
  assert.equal(t.task.system_prompt, meta.base_instructions.text);
  assert.deepEqual(t.task.repo, { url: meta.git.repository_url, base_commit: meta.git.commit_hash });
  assert.equal(t.model, lines.find((l) => l.type === "turn_context")!.payload.model);
  // the request the user typed, as Codex's own user_message event records it, not AGENTS.md or the environment block
  assert.equal(t.task.question, events(lines, "user_message")[0]!.message);
  assert.equal(t.messages.filter((m) => m.role === "system" && m.source_role === "developer").length, items(lines, "message").filter((m) => m.role === "developer").length);

  const reasoning = items(lines, "reasoning");
  const summaries = reasoning.flatMap((r) => r.summary.map((s: Raw) => s.text));
  assert.deepEqual(t.messages.flatMap((m) => (m.role === "assistant" && m.reasoning !== null ? [m.reasoning] : [])), summaries);
  // Encrypted reasoning is opaque but kept verbatim, in order: a provider needs it back to continue.
  const encrypted = t.messages.flatMap((m) => (m.extra?.encrypted_reasoning as string[] | undefined) ?? []);
  assert.deepEqual(encrypted, reasoning.flatMap((r) => (typeof r.encrypted_content === "string" ? [r.encrypted_content] : [])));

  const lastAssistant = items(lines, "message").filter((m) => m.role === "assistant").at(-1)!;
  assert.equal(t.final.answer, lastAssistant.content.map((c: Raw) => c.text).join("\n"));
  assert.equal(t.final.kind, "message");
});

// ---- hand-written rollouts ----

let counter = 0;
function writeRollout(lines: (Raw | string)[]): string {
  const file = join(tempDir(), `rollout-${counter++}.jsonl`);
  writeFileSync(file, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return file;
}
const env = (type: string, payload: Raw) => ({ timestamp: "2025-01-01T00:00:00Z", type, payload });
const item = (payload: Raw) => env("response_item", payload);
const message = (role: string, text: string, more: Raw = {}) => ({
  type: "message",
  role,
  content: [{ type: role === "assistant" ? "output_text" : "input_text", text }],
  ...more,
});

test("codex: the older envelope-less layout (bare meta, bare items, record_type state)", async () => {
  const file = writeRollout([
    { id: "old-1", timestamp: "2025-05-01T10:00:00Z", instructions: "Be careful.", git: { commit_hash: "abc123", branch: "main", repository_url: "git@example.com:o/r.git" } },
    { record_type: "state" },
    message("user", "<user_instructions>\nuse pnpm\n</user_instructions>"),
    message("user", "Create a README file"),
    { record_type: "state" },
    { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Planning the README" }], content: null, encrypted_content: "opaque" },
    message("assistant", "I'll create it."),
    { type: "function_call", name: "shell", arguments: '{"command":["touch","README.md"]}', call_id: "call_1" },
    { type: "function_call_output", call_id: "call_1", output: '{"output":"","metadata":{"exit_code":0}}' },
    message("assistant", "Done."),
    { record_type: "state" },
  ]);
  const { trajectories, rejects } = await importAll([file]);
  assert.deepEqual(rejects, []);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "codex");
  assert.equal(t.task.question, "Create a README file");
  assert.equal(t.task.system_prompt, "Be careful.");
  assert.deepEqual(t.task.repo, { url: "git@example.com:o/r.git", base_commit: "abc123" });
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "user", "assistant", "tool", "assistant"]);
  const first = t.messages[3]!;
  assert.ok(first.role === "assistant");
  assert.equal(first.reasoning, "Planning the README");
  assert.equal(first.content, "I'll create it.");
  assert.deepEqual(first.tool_calls.map((c) => [c.id, c.name, c.raw_arguments]), [["call_1", "shell", '{"command":["touch","README.md"]}']]);
  assert.deepEqual(first.extra, { encrypted_reasoning: ["opaque"] });
  assert.equal(t.messages[4]!.role === "tool" && t.messages[4]!.pairing, "id");
  assert.equal(t.final.answer, "Done.");
  assert.deepEqual(t.extra.skipped_lines, { state: 3 });
});

test("codex: a compaction is an event; what replacement_history keeps stays in context, the rest is marked out", async () => {
  const file = writeRollout([
    env("session_meta", { id: "s", timestamp: "t", cwd: "/w", cli_version: "0.60.0", base_instructions: { text: "You are Codex." } }),
    item(message("user", "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>")),
    item(message("user", "Fix the tests")),
    item({ type: "function_call", name: "exec_command", arguments: '{"cmd":"npm test"}', call_id: "c1" }),
    item({ type: "function_call_output", call_id: "c1", output: "1 failing" }),
    item(message("assistant", "Looking.", { phase: "commentary" })),
    env("compacted", {
      message: "Summary: tests fail in foo.ts",
      replacement_history: [message("user", "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"), message("user", "Fix the tests"), message("user", "Summary: tests fail in foo.ts")],
    }),
    env("event_msg", { type: "context_compacted" }),
    item({ type: "custom_tool_call", name: "apply_patch", input: '{"path":"foo.ts"}', call_id: "c2", status: "completed" }),
    item({ type: "custom_tool_call_output", call_id: "c2", output: "Success." }),
    item(message("assistant", "Fixed.", { phase: "final_answer" })),
    item(message("assistant", "Anything else?", { phase: "commentary" })),
  ]);
  const t = (await importAll([file])).trajectories[0]!;
  assert.deepEqual(t.events, [{ kind: "compaction", message_index: 6, marker: "compacted", summary: "Summary: tests fail in foo.ts", timestamp: "2025-01-01T00:00:00Z" }]);
  assert.deepEqual(t.messages.map((m) => [m.role, m.in_context]), [
    ["system", undefined],
    ["user", undefined],
    ["user", undefined],
    ["assistant", false],
    ["tool", false],
    ["assistant", false],
    ["assistant", undefined],
    ["tool", undefined],
    ["assistant", undefined],
    ["assistant", undefined],
  ]);
  const patch = calls(t)[1]!;
  assert.deepEqual([patch.type, patch.raw_arguments, patch.arguments], ["custom", '{"path":"foo.ts"}', { path: "foo.ts" }]);
  assert.equal(t.final.answer, "Fixed.");
  assert.equal(t.task.question, "Fix the tests");
});

test("codex: local shell and web search calls, a truncated last line, an unknown item", async () => {
  const full = JSON.stringify(item(message("assistant", "never written")));
  const file = writeRollout([
    env("session_meta", { id: "s", timestamp: "t", cli_version: "0.50.0" }),
    item(message("user", "what is in /tmp?")),
    item({ type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "tmp" } }),
    item({ type: "local_shell_call", call_id: "sh_1", status: "completed", action: { type: "exec", command: ["ls", "/tmp"] } }),
    item({ type: "function_call_output", call_id: "sh_1", output: { content: "ls: /tmp: Permission denied", success: false } }),
    item({ type: "mystery_item", text: "?" }),
    item({ type: "function_call", call_id: "bad" }),
    full.slice(0, 40),
  ]);
  const { trajectories, rejects } = await importAll([file]);
  assert.deepEqual(rejects.map((r) => [r.scope, r.locator.line, r.code]), [["line", 7, "wrong-shape"], ["line", 8, "invalid-json"]]);
  assert.equal(rejects[0]!.reason, "function_call item: name: expected a string, got nothing");
  const t = trajectories[0]!;
  assert.deepEqual(calls(t).map((c) => [c.id, c.name, c.type, c.raw_arguments, c.arguments]), [
    ["ws_1", "web_search", "server", null, { type: "search", query: "tmp" }],
    ["sh_1", "local_shell", "shell", null, { type: "exec", command: ["ls", "/tmp"] }],
  ]);
  assert.deepEqual(tools(t).map((m) => m.role === "tool" && [m.call_id, m.pairing, m.content, m.is_error]), [["sh_1", "id", "ls: /tmp: Permission denied", true]]);
  assert.deepEqual(t.warnings, [{ code: "unknown-type", message: "skipped 1 response items of unknown type mystery_item", count: 1, name: "mystery_item" }]);
  assert.deepEqual(t.source.locator, { line: 1, line_end: 8 });
});

test("codex: a rollout with no response items is one record reject", async () => {
  const file = writeRollout([env("session_meta", { id: "s", timestamp: "t", base_instructions: { text: "You are Codex." } }), env("event_msg", { type: "task_started" })]);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(trajectories.length, 0);
  assert.deepEqual(rejects.map((r) => [r.scope, r.code, r.locator]), [["record", "wrong-shape", {}]]);
  assert.match(rejects[0]!.reason, /no conversation: no response items in 2 lines/);
});

test("codex: detection looks at content only", () => {
  const probe = (...values: unknown[]) => ({ container: "jsonl" as const, file: "x.jsonl", head: values.map((value, i) => ({ line: i + 1, value })) });
  assert.equal(codexImporter.detect(probe(env("session_meta", { id: "s" }))), 0.9);
  assert.equal(codexImporter.detect(probe({ id: "s", timestamp: "t", instructions: null }, message("user", "hi"))), 0.9);
  assert.equal(codexImporter.detect(probe(message("user", "hi"))), 0);
  assert.equal(codexImporter.detect(probe({ type: "user", uuid: "u", parentUuid: null, sessionId: "s", message: {} })), 0);
});
