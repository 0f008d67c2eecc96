import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { claudeCodeImporter } from "../../src/formats/claude-code/importer.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const DIR = sample("claude-code-jsonl");
const SESSION = "4d5611e5-241a-462a-8d15-5122611a9569";
const MAIN = join(DIR, `${SESSION}.jsonl`);
const EXPLORE = join(DIR, SESSION, "subagents", "agent-a2898e3.jsonl");
const COMPACT = join(DIR, SESSION, "subagents", "agent-acompact-e1f845.jsonl");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw log lines are read loosely, to count facts independently of the importer
type Raw = Record<string, any>;
const rawLines = (file: string): Raw[] => readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
const blocks = (lines: Raw[], type: string, blockType: string): Raw[] =>
  lines.filter((l) => l.type === type && Array.isArray(l.message.content)).flatMap((l) => l.message.content.filter((b: Raw) => b.type === blockType));
const calls = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const tools = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");

let imported: Promise<Awaited<ReturnType<typeof importAll>>> | undefined;
const importSamples = () => (imported ??= importAll([DIR]));
const byFile = async (file: string) => {
  const t = (await importSamples()).trajectories.find((x) => x.source.file === file);
  assert.ok(t, `no trajectory for ${file}`);
  return t;
};

test("claude-code: the sample folder gives one trajectory per file and no rejects", { skip: SAMPLES_MISSING }, async () => {
  const { trajectories, rejects } = await importSamples();
  assert.deepEqual(rejects, []);
  assert.deepEqual(trajectories.map((t) => t.source.file).sort(), [MAIN, COMPACT, EXPLORE].sort());
  for (const t of trajectories) assert.equal(t.source.format, "claude-code");
});

test("claude-code: per-block assistant lines merge by message.id; every tool_use is a call and every tool_result a paired tool message", { skip: SAMPLES_MISSING }, async () => {
  for (const file of [MAIN, EXPLORE]) {
    const raw = rawLines(file);
    const t = await byFile(file);
    const ids = new Set(raw.filter((l) => l.type === "assistant").map((l) => l.message.id));
    assert.equal(t.messages.filter((m) => m.role === "assistant").length, ids.size, file);
    assert.deepEqual(t.messages.filter((m) => m.role === "assistant").map((m) => m.source_id), [...ids]);

    const uses = blocks(raw, "assistant", "tool_use");
    assert.deepEqual(calls(t).map((c) => c.id), uses.map((b) => b.id));
    for (const [i, call] of calls(t).entries()) {
      assert.equal(call.name, uses[i]!.name);
      assert.deepEqual(call.arguments, uses[i]!.input);
      assert.equal(call.raw_arguments, null);
    }

    const results = blocks(raw, "user", "tool_result");
    const nameOf = new Map(uses.map((b) => [b.id, b.name]));
    assert.equal(tools(t).length, results.length);
    for (const [i, message] of tools(t).entries()) {
      const block = results[i]!;
      assert.ok(message.role === "tool");
      assert.equal(message.call_id, block.tool_use_id);
      assert.equal(message.pairing, "id");
      assert.equal(message.name, nameOf.get(block.tool_use_id));
      assert.equal(message.is_error, block.is_error === true);
      assert.equal(message.source_role, "user");
      if (typeof block.content === "string") assert.equal(message.content, block.content);
    }
    // thinking blocks become reasoning of their message
    const thinking = new Set(raw.filter((l) => l.type === "assistant" && l.message.content.some((b: Raw) => b.type === "thinking")).map((l) => l.message.id));
    assert.equal(t.messages.filter((m) => m.role === "assistant" && m.reasoning !== null).length, thinking.size);
  }
});

test("claude-code: toolUseResult side data is kept on the tool message", { skip: SAMPLES_MISSING }, async () => {
  const raw = rawLines(MAIN);
  const t = await byFile(MAIN);
  const withSideData = raw.filter((l) => l.type === "user" && l.toolUseResult !== undefined);
  const byCall = new Map(tools(t).map((m) => [m.role === "tool" ? m.call_id : null, m]));
  for (const line of withSideData) {
    const message = byCall.get(line.message.content[0].tool_use_id);
    assert.deepEqual(message?.extra?.toolUseResult, line.toolUseResult);
  }
});

test("claude-code: bookkeeping lines are dropped and counted; the compaction is one event at the boundary", { skip: SAMPLES_MISSING }, async () => {
  const raw = rawLines(MAIN);
  const t = await byFile(MAIN);
  const progress = raw.filter((l) => l.type === "progress");
  assert.equal((t.extra.skipped_lines as Record<string, number>).progress, progress.length);
  const progressIds = new Set(progress.map((l) => l.uuid));
  assert.ok(t.messages.every((m) => m.source_id === undefined || !progressIds.has(m.source_id)));

  const boundaryAt = raw.findIndex((l) => l.type === "system" && l.subtype === "compact_boundary");
  const summaryLine = raw.find((l) => l.isCompactSummary === true)!;
  const before = raw.slice(0, boundaryAt);
  const messagesBefore =
    new Set(before.filter((l) => l.type === "assistant").map((l) => l.message.id)).size +
    blocks(before, "user", "tool_result").length +
    before.filter((l) => l.type === "user" && typeof l.message.content === "string").length;

  assert.equal(t.events.length, 1);
  const [event] = t.events;
  assert.equal(event!.kind, "compaction");
  assert.equal(event!.marker, "compact_boundary");
  assert.equal(event!.message_index, messagesBefore);
  assert.equal(event!.summary, summaryLine.message.content);
  assert.equal(event!.trigger, raw[boundaryAt]!.compactMetadata.trigger);
  assert.equal(event!.tokens_before, raw[boundaryAt]!.compactMetadata.preTokens);
  t.messages.forEach((m, i) => assert.equal(m.in_context, i < messagesBefore ? false : undefined));
  // the summary is an event, not a message, and not the task question
  assert.ok(t.messages.every((m) => m.content !== summaryLine.message.content));
  const firstRequest = raw.find((l) => l.type === "user" && typeof l.message.content === "string")!;
  assert.equal(t.task.question, firstRequest.message.content);
  assert.equal(t.source.format_version, firstRequest.version);
});

test("claude-code: the final answer is the text of the last assistant message", { skip: SAMPLES_MISSING }, async () => {
  const raw = rawLines(MAIN);
  const t = await byFile(MAIN);
  const lastId = raw.filter((l) => l.type === "assistant").at(-1)!.message.id;
  const text = raw.filter((l) => l.type === "assistant" && l.message.id === lastId).flatMap((l) => l.message.content.filter((b: Raw) => b.type === "text").map((b: Raw) => b.text));
  assert.equal(t.final.answer, text.join("\n\n"));
  assert.equal(t.final.kind, "message");
});

test("claude-code: sub-agent files link to the session, and the session links its Task sub-agent", { skip: SAMPLES_MISSING }, async () => {
  const raw = rawLines(MAIN);
  const main = await byFile(MAIN);
  const explore = await byFile(EXPLORE);
  const compact = await byFile(COMPACT);
  assert.equal(main.parent, undefined);
  assert.deepEqual(explore.parent, { trajectory_id: main.id });
  assert.deepEqual(compact.parent, { trajectory_id: main.id });

  const taskResult = raw.find((l) => l.type === "user" && l.toolUseResult?.agentId !== undefined)!;
  const callId = taskResult.message.content[0].tool_use_id;
  const taskCall = blocks(raw, "assistant", "tool_use").find((b) => b.id === callId)!;
  assert.equal(rawLines(EXPLORE)[0]!.agentId, taskResult.toolUseResult.agentId);
  assert.deepEqual(main.subagents, [{ trajectory_id: explore.id, call_id: callId, agent_type: taskCall.input.subagent_type, file: EXPLORE }]);

  // the acompact run is the compaction summariser: typed, its request is the summary prompt, its answer the summary
  const compactRaw = rawLines(COMPACT);
  assert.equal(compact.extra.agent_type, "compact");
  assert.equal(compact.task.question, compactRaw.find((l) => l.type === "user" && l.isMeta !== true)!.message.content);
  assert.equal(compact.messages.length, compactRaw.length);
  assert.ok(compact.messages.filter((m) => m.role === "user" && m.extra?.isMeta === true).length === compactRaw.filter((l) => l.isMeta === true).length);
  assert.equal(explore.task.question, rawLines(EXPLORE)[0]!.message.content);
});

// ---- hand-written sessions ----

let counter = 0;
const base = { sessionId: "s1", version: "2.1.0", cwd: "/w", isSidechain: false, userType: "external" };
const user = (uuid: string, parentUuid: string | null, content: unknown, more: Raw = {}) => ({ ...base, type: "user", uuid, parentUuid, timestamp: "t", message: { role: "user", content }, ...more });
const assistant = (uuid: string, parentUuid: string | null, id: string, block: Raw) => ({
  ...base,
  type: "assistant",
  uuid,
  parentUuid,
  timestamp: "t",
  message: { id, role: "assistant", model: "claude-x", content: [block] },
});
const progress = (uuid: string, parentUuid: string) => ({ ...base, type: "progress", uuid, parentUuid, data: { type: "hook_progress" } });
const text = (t: string) => ({ type: "text", text: t });
const use = (id: string, input: Raw = {}) => ({ type: "tool_use", id, name: "Bash", input });
const result = (id: string, content: string, is_error?: boolean) => ({ type: "tool_result", tool_use_id: id, content, ...(is_error !== undefined ? { is_error } : {}) });

function writeSession(lines: (Raw | string)[]): string {
  const file = join(tempDir(), `session-${counter++}.jsonl`);
  writeFileSync(file, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return file;
}

test("claude-code: a truncated last line is a line reject and the session is still imported", async () => {
  const full = JSON.stringify(assistant("a2", "u2", "m2", text("never finished")));
  const file = writeSession([
    user("u1", null, "fix the bug"),
    assistant("a1", "u1", "m1", use("t1", { command: "ls" })),
    user("u2", "a1", [result("t1", "file.txt")]),
    full.slice(0, full.length / 2),
  ]);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.scope, "line");
  assert.equal(rejects[0]!.locator.line, 4);
  assert.equal(rejects[0]!.code, "invalid-json");
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.deepEqual(t.source.locator, { line: 1, line_end: 4 });
  assert.deepEqual(t.messages.map((m) => m.role), ["user", "assistant", "tool"]);
  assert.equal(t.task.question, "fix the bug");
});

test("claude-code: a rewind branch off the uuid chain is dropped with a warning; the chain ending at the last message stays", async () => {
  const file = writeSession([
    user("u1", null, "first request"),
    assistant("a1", "u1", "m1", text("ok")),
    user("u2", "a1", "abandoned follow-up"),
    assistant("a2", "u2", "m2", text("abandoned answer")),
    user("u3", "a1", "edited follow-up"),
    assistant("a3", "u3", "m3", text("final answer")),
  ]);
  const { trajectories } = await importAll([file]);
  const t = trajectories[0]!;
  assert.deepEqual(t.messages.map((m) => m.content), ["first request", "ok", "edited follow-up", "final answer"]);
  assert.equal(t.final.answer, "final answer");
  assert.equal(t.warnings?.length, 1);
  assert.deepEqual([t.warnings![0]!.code, t.warnings![0]!.count, t.warnings![0]!.line], ["abandoned-branches", 2, 3]);
  assert.match(t.warnings![0]!.message, /dropped 2 message lines on 1 abandoned branches .* starting at line 3$/);
});

test("claude-code: parallel tool calls hanging off hook lines keep both blocks and both results", async () => {
  const file = writeSession([
    user("u1", null, "look around"),
    assistant("a1", "u1", "m1", text("Two commands.")),
    assistant("a2", "a1", "m1", use("t1")),
    progress("p1", "a2"),
    assistant("a3", "p1", "m1", use("t2")),
    user("r1", "a2", [result("t1", "one")]),
    user("r2", "a3", [result("t2", "two", true)]),
    assistant("a4", "r2", "m2", text("done")),
  ]);
  const t = (await importAll([file])).trajectories[0]!;
  assert.deepEqual(t.messages.map((m) => m.role), ["user", "assistant", "tool", "tool", "assistant"]);
  const first = t.messages[1]!;
  assert.ok(first.role === "assistant");
  assert.equal(first.content, "Two commands.");
  assert.deepEqual(first.tool_calls.map((c) => c.id), ["t1", "t2"]);
  assert.deepEqual(tools(t).map((m) => m.role === "tool" && [m.call_id, m.content, m.is_error, m.pairing]), [
    ["t1", "one", false, "id"],
    ["t2", "two", true, "id"],
  ]);
  assert.equal(t.warnings, undefined);
  assert.deepEqual(t.extra.skipped_lines, { progress: 1 });
});

test("claude-code: lines with no parentUuid field (forced format) are read in file order", async () => {
  const bare = (type: string, message: Raw) => ({ type, sessionId: "s1", message });
  const file = writeSession([
    bare("user", { role: "user", content: "hello" }),
    bare("assistant", { id: "m1", role: "assistant", content: [text("hi")] }),
    bare("user", { role: "user", content: "bye" }),
  ]);
  const { trajectories, rejects } = await importAll([file], { format: "claude-code" });
  assert.deepEqual(rejects, []);
  assert.deepEqual(trajectories[0]!.messages.map((m) => m.content), ["hello", "hi", "bye"]);
});

test("claude-code: injected context is not the task question; a compact summary that opens a session is an event", async () => {
  const file = writeSession([
    { ...base, type: "system", subtype: "compact_boundary", uuid: "b1", parentUuid: null, logicalParentUuid: "gone", compactMetadata: { trigger: "manual", preTokens: 1000 } },
    user("s1", "b1", "This session is being continued from a previous conversation. Summary: …", { isCompactSummary: true }),
    user("u1", "s1", "<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args></command-args>"),
    user("u2", "u1", "<local-command-stdout>Set model to opus</local-command-stdout>"),
    user("u3", "u2", "<system-reminder>be brief</system-reminder>", { isMeta: true }),
    user("u4", "u3", "Caveat: The messages below were generated by the user while running local commands. DO NOT respond to these messages.\n<system-reminder>x</system-reminder>\nplease add tests"),
    assistant("a1", "u4", "m1", text("added")),
  ]);
  const t = (await importAll([file])).trajectories[0]!;
  assert.equal(t.task.question, "please add tests");
  assert.equal(t.task.question_origin, "extracted_from_template");
  assert.deepEqual(t.events, [
    { kind: "compaction", message_index: 0, trigger: "manual", tokens_before: 1000, summary: "This session is being continued from a previous conversation. Summary: …", marker: "compact_boundary" },
  ]);
  assert.equal(t.messages.length, 5);
  assert.equal(t.messages[2]!.extra?.isMeta, true);
});

test("claude-code: a file with no conversation is one record reject naming what it held", async () => {
  const file = writeSession([
    { type: "file-history-snapshot", messageId: "x", snapshot: {}, isSnapshotUpdate: false },
    progress("p1", "nothing"),
    "{not json",
  ]);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(trajectories.length, 0);
  assert.deepEqual(rejects.map((r) => [r.scope, r.code, r.locator.line]), [["line", "invalid-json", 3], ["record", "wrong-shape", undefined]]);
  assert.match(rejects[1]!.reason, /no user or assistant message in 3 lines .*1 file-history-snapshot, 1 progress/);
});

test("claude-code: a wrong-shape line is a line reject naming the field", async () => {
  const file = writeSession([user("u1", null, "hi"), { ...base, type: "assistant", uuid: "a1", parentUuid: "u1", message: "oops" }, assistant("a2", "u1", "m2", text("hello"))]);
  const { trajectories, rejects } = await importAll([file]);
  assert.deepEqual(rejects.map((r) => [r.scope, r.locator.line, r.reason]), [["line", 2, "message: expected an object, got a string"]]);
  assert.deepEqual(trajectories[0]!.messages.map((m) => m.content), ["hi", "hello"]);
});

test("claude-code: detection looks at content only", () => {
  const probe = (value: unknown) => ({ container: "jsonl" as const, file: "x.jsonl", head: [{ line: 1, value }] });
  assert.equal(claudeCodeImporter.detect(probe(user("u1", null, "hi"))), 0.9);
  assert.equal(claudeCodeImporter.detect(probe({ type: "file-history-snapshot", messageId: "m", snapshot: {}, isSnapshotUpdate: false })), 0.9);
  assert.equal(claudeCodeImporter.detect(probe({ role: "user", content: "hi" })), 0);
  assert.equal(claudeCodeImporter.detect(probe({ timestamp: "t", type: "response_item", payload: { type: "message" } })), 0);
});

test("claude-code: a sub-agent stored inline in the session file (real excerpt) is its own trajectory, linked both ways to its Task call", async () => {
  const file = realFixture("claude-code-inline-sidechain.jsonl");
  const raw = rawLines(file);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 2);
  const [main, sub] = trajectories as [Trajectory, Trajectory];
  const task = blocks(raw.filter((l) => !l.isSidechain), "assistant", "tool_use").find((b) => b.name === "Task")!;
  assert.deepEqual(main.subagents, [{ trajectory_id: sub.id, call_id: task.id, agent_type: task.input.subagent_type, file }]);
  assert.deepEqual(sub.parent, { trajectory_id: main.id, call_id: task.id });
  assert.equal(sub.extra.agent_type, task.input.subagent_type);

  // Every sidechain line is in the sub-agent and none in the session: its call, its result, its text.
  const side = raw.filter((l) => l.isSidechain === true);
  assert.deepEqual(calls(sub).map((c) => c.name), blocks(side, "assistant", "tool_use").map((b) => b.name));
  assert.deepEqual(tools(sub).map((m) => m.content), blocks(side, "user", "tool_result").map((b) => b.content));
  assert.deepEqual(sub.messages.flatMap((m) => (m.role === "assistant" && m.content ? [m.content] : [])), blocks(side, "assistant", "text").map((b) => b.text));
  assert.deepEqual(calls(main).map((c) => c.name), blocks(raw.filter((l) => !l.isSidechain), "assistant", "tool_use").map((b) => b.name));
  assert.equal(sub.source.locator.line, raw.findIndex((l) => l.isSidechain === true) + 1);
  assert.ok(!main.warnings?.some((w) => w.message.startsWith("dropped")));
});

test("claude-code: inline sub-agents without agent ids are told apart by their prompts; one no call fits stays, linked to the session only", async () => {
  const side = { ...base, isSidechain: true };
  const task = (id: string, prompt: string) => ({ type: "tool_use", id, name: "Task", input: { subagent_type: "Explore", prompt } });
  const file = writeSession([
    user("u1", null, "Find both things."),
    assistant("a1", "u1", "m1", task("toolu_A", "Find the config loader.")),
    assistant("a1b", "a1", "m1", task("toolu_B", "Find the CLI entry point.")),
    { ...side, type: "user", uuid: "s1", parentUuid: null, message: { role: "user", content: "Find the CLI entry point." } },
    { ...side, type: "assistant", uuid: "s2", parentUuid: "s1", message: { id: "sm1", role: "assistant", content: [text("src/cli/main.ts")] } },
    { ...side, type: "user", uuid: "t1", parentUuid: null, message: { role: "user", content: "Find the config loader." } },
    { ...side, type: "assistant", uuid: "t2", parentUuid: "t1", message: { id: "sm2", role: "assistant", content: [text("src/config.ts")] } },
    { ...side, type: "user", uuid: "r1", parentUuid: null, message: { role: "user", content: "A prompt no call made." } },
    user("u2", "a1b", [result("toolu_A", "src/config.ts"), result("toolu_B", "src/cli/main.ts")]),
    assistant("a2", "u2", "m2", text("Both found.")),
  ]);
  const { trajectories } = await importAll([file]);
  const [main, ...subs] = trajectories;
  assert.deepEqual(subs.map((s) => [s.task.question, s.parent?.call_id, s.extra.linked_by]), [
    ["Find the CLI entry point.", "toolu_B", "prompt"],
    ["Find the config loader.", "toolu_A", "prompt"],
    ["A prompt no call made.", undefined, undefined],
  ]);
  assert.deepEqual(main!.subagents.map((l) => l.trajectory_id), subs.map((s) => s.id));
  assert.equal(new Set(trajectories.map((t) => t.id)).size, 4);
  assert.deepEqual(subs[2]!.warnings?.map((w) => w.code), ["unlinked-subagent"]);
  assert.match(subs[2]!.warnings?.map((w) => w.message).join("\n") ?? "", /no Task call of the session could be tied/);
});
