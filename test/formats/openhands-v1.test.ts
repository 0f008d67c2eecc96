import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, runCli, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const OUTPUT = sample("openhands-v1-sdk/openagentsafety_output.jsonl");
const CONVERSATION = sample("openhands-v1-sdk/persisted-conversation/cd94562403b9487ebdd4018e3f531dfd");

interface RawEvent {
  kind: string;
  id: string;
  source: string;
  tool_call_id?: string;
  tool_call?: { id: string; name: string; arguments: string };
  action?: { kind: string; message?: string };
  observation?: { output?: string };
  llm_message?: { role: string; content: { text: string }[] };
  tools?: { title: string }[];
}
interface RawRow {
  instruction: string;
  instance: { problem_statement: string };
  history: RawEvent[];
}

test("openhands-v1 eval rows: actions, observations paired by tool_call_id, finish, instruction as the user turn", { skip: SAMPLES_MISSING }, async () => {
  const rows = readFileSync(OUTPUT, "utf8").trim().split("\n").map((line) => JSON.parse(line) as RawRow);
  const { trajectories, rejects } = await importAll([OUTPUT]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, rows.length);
  rows.forEach((row, i) => {
    const t = trajectories[i]!;
    assert.equal(t.source.format, "openhands-v1");
    assert.equal(t.source.locator.line, i + 1);
    const actions = row.history.filter((e) => e.kind === "ActionEvent");
    const observations = row.history.filter((e) => e.kind === "ObservationEvent");
    const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
    assert.deepEqual(calls.map((c) => [c.id, c.name, c.raw_arguments]), actions.map((e) => [e.tool_call!.id, e.tool_call!.name, e.tool_call!.arguments]));
    const results = t.messages.filter((m) => m.role === "tool");
    assert.deepEqual(results.map((r) => r.role === "tool" && [r.call_id, r.pairing]), observations.map((e) => [e.tool_call_id, "id"]));
    // Terminal escape codes are gone from the observations that had them.
    const escaped = observations.filter((e) => e.observation?.output?.includes("\u001b"));
    assert.ok(i > 0 || escaped.length > 0);
    for (const r of results) assert.ok(!r.content.includes("\u001b"));

    assert.deepEqual(t.messages[0], { role: "user", content: row.instruction, extra: { from_field: "instruction" } });
    assert.equal(t.messages.length, 1 + actions.length + observations.length);
    assert.equal(t.task.question, row.instance.problem_statement);
    const finish = actions.find((e) => e.action?.kind === "FinishAction");
    if (finish) assert.deepEqual([t.final.answer, t.final.kind], [finish.action!.message, "submit_call"]);
    else assert.equal(t.final.kind, "none");
  });
});

test("openhands-v1 persisted conversation folder: every event file in order, final answer from the agent's last message", { skip: SAMPLES_MISSING }, async () => {
  const files = readdirSync(join(CONVERSATION, "events")).sort();
  const events = files.map((name) => JSON.parse(readFileSync(join(CONVERSATION, "events", name), "utf8")) as RawEvent);
  // The folder's parent is walked; the folder itself is one conversation.
  const { trajectories, rejects } = await importAll([join(CONVERSATION, "..")]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "openhands-v1");
  assert.equal(t.source.file, CONVERSATION);
  assert.deepEqual(t.messages.map((m) => m.source_id), events.map((e) => e.id));

  const roles = events.map((e) =>
    e.kind === "SystemPromptEvent" ? "system" : e.kind === "ActionEvent" ? "assistant" : e.kind === "ObservationEvent" ? "tool" : e.llm_message!.role,
  );
  assert.deepEqual(t.messages.map((m) => m.role), roles);
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(results.map((r) => r.role === "tool" && r.call_id), events.filter((e) => e.kind === "ObservationEvent").map((e) => e.tool_call_id));
  assert.ok(results.every((r) => r.role === "tool" && r.pairing === "id"));

  // A FinishAction came first, but the user asked again: the agent's last message is the answer.
  const lastAgent = events.filter((e) => e.kind === "MessageEvent" && e.source === "agent").at(-1)!;
  assert.equal(t.final.answer, lastAgent.llm_message!.content[0]!.text);
  assert.equal(t.final.kind, "message");
  const system = events.find((e) => e.kind === "SystemPromptEvent")!;
  assert.deepEqual(t.tools?.map((tool) => tool.name), system.tools!.map((tool) => tool.title));

  const baseState = JSON.parse(readFileSync(join(CONVERSATION, "base_state.json"), "utf8")) as { agent: { llm: { model: string } } };
  assert.equal(t.model, baseState.agent.llm.model);
  assert.match(JSON.stringify(t.extra), /"api_key":"\[redacted\]"/);
});

function writeConversation(dir: string) {
  mkdirSync(join(dir, "events"), { recursive: true });
  writeFileSync(
    join(dir, "base_state.json"),
    JSON.stringify({ id: "c1", agent: { llm: { model: "openai/gpt-4o-mini", api_key: "sk-live-v1-secret" }, kind: "Agent" }, secret_registry: { secret_sources: { GITHUB_TOKEN: "ghp_x" } } }),
  );
  const events: [string, string][] = [
    ["a", JSON.stringify({ kind: "SystemPromptEvent", id: "a", source: "agent", system_prompt: { type: "text", text: "You are OpenHands." }, tools: [{ title: "terminal", description: "run" }] })],
    ["b", JSON.stringify({ kind: "MessageEvent", id: "b", source: "user", llm_message: { role: "user", content: [{ type: "text", text: "List the files." }] } })],
    ["c", JSON.stringify({ kind: "ActionEvent", id: "c", source: "agent", thought: [{ type: "text", text: "I'll run ls." }], reasoning_content: "ls lists files", action: { kind: "TerminalAction", command: "ls" }, tool_name: "terminal", tool_call_id: "call_1", tool_call: { id: "call_1", name: "terminal", arguments: '{"command":"ls"}' }, llm_response_id: "r1" })],
    ["d", '{"kind": "ObservationEvent", "id": "d", "tool_call_id": "call_1", "observation": {"content": [{"type": "te'],
    ["e", JSON.stringify({ kind: "ActionEvent", id: "e", source: "agent", thought: [], action: { kind: "TerminalAction" }, llm_response_id: "r2" })],
    ["f", JSON.stringify({ kind: "ObservationEvent", id: "f", source: "environment", tool_name: "terminal", tool_call_id: "call_1", observation: { kind: "TerminalObservation", content: [{ type: "text", text: "a.py\nb.py" }], is_error: false, exit_code: 0 }, action_id: "c" })],
    ["g", JSON.stringify({ kind: "Condensation", id: "g", source: "environment", forgotten_event_ids: ["c", "f"], summary: "Listed a.py and b.py." })],
    ["h", JSON.stringify({ kind: "ConversationStateUpdateEvent", id: "h", source: "environment", key: "execution_status", value: "finished" })],
    ["i", JSON.stringify({ kind: "ActionEvent", id: "i", source: "agent", thought: [], action: { kind: "FinishAction", message: "a.py and b.py" }, tool_name: "finish", tool_call_id: "call_2", tool_call: { id: "call_2", name: "finish", arguments: '{"message":"a.py and b.py"}' }, llm_response_id: "r3" })],
  ];
  events.forEach(([id, text], index) => writeFileSync(join(dir, "events", `event-${String(index).padStart(5, "0")}-${id}.json`), text));
  writeFileSync(join(dir, "events", "notes.txt"), "not an event");
}

test("openhands-v1 folder with a broken and a malformed event file: each a line-level reject naming its event file, the rest imported", async () => {
  const root = tempDir();
  const dir = join(root, "conv-1");
  writeConversation(dir);
  const { trajectories, rejects } = await importAll([root]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(
    rejects.map((r) => [r.scope, r.code, r.locator.event_file, r.file]),
    [
      ["line", "invalid-json", "events/event-00003-d.json", dir],
      ["line", "wrong-shape", "events/event-00004-e.json", dir],
    ],
  );
  assert.match(rejects[1]!.reason, /events\/event-00004-e\.json: an ActionEvent needs tool_call\.name or tool_name/);
  const t = trajectories[0]!;
  assert.deepEqual(t.messages.map((m) => m.source_id), ["a", "b", "c", "f", "i"]);
  const [, , action, result] = t.messages;
  assert.ok(action?.role === "assistant" && action.content === "I'll run ls." && action.reasoning === "ls lists files");
  assert.ok(result?.role === "tool" && result.call_id === "call_1" && result.content === "a.py\nb.py" && result.pairing === "id");
  assert.deepEqual(t.messages.map((m) => m.in_context), [undefined, undefined, false, false, undefined]);
  assert.deepEqual(t.events, [{ kind: "compaction", message_index: 4, summary: "Listed a.py and b.py.", marker: "condensation" }]);
  assert.deepEqual(t.final, { answer: "a.py and b.py", reasoning: null, kind: "submit_call" });
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.count]), [["ignored-files", 1]]);
  assert.match(t.warnings?.map((w) => w.message).join("; ") ?? "", /ignored 1 file\(s\) in events\//);
  const out = JSON.stringify(t);
  assert.ok(!out.includes("sk-live-v1-secret") && !out.includes("ghp_x"));

  // The closing summary counts the folder as one record read and imported; the damaged files are listed.
  const cli = await runCli(["inspect", root]);
  assert.equal(cli.code, 0);
  assert.match(cli.stderr + cli.stdout, /read 1 = imported 1 \+ rejected 0/);
});
