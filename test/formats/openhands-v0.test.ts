import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("openhands-v0-events/basic_gui_mode.json");

interface RawEvent {
  id: number;
  source: string;
  action?: string;
  observation?: string;
  cause?: number;
  content?: string;
  args?: { content?: string; thought?: string };
  tool_call_metadata?: {
    tool_call_id: string;
    function_name: string;
    model_response: { id: string; choices: { message: { tool_calls: { id: string; function: { arguments: string } }[] } }[] };
  };
}

test("openhands-v0 event stream: actions, observations paired by cause, bookkeeping dropped, model_response kept once", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawEvent[];
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "openhands-v0");

  const toolActions = raw.filter((e) => e.action !== undefined && e.tool_call_metadata !== undefined);
  const actionIds = new Set(toolActions.map((e) => e.id));
  const answers = raw.filter((e) => e.observation !== undefined && e.cause !== undefined && actionIds.has(e.cause));
  const messagesActions = raw.filter((e) => e.action === "message");
  const bookkeeping = raw.filter((e) => e.observation === "agent_state_changed" || e.observation === "null" || e.action === "change_agent_state");
  assert.ok(bookkeeping.length > 0);
  assert.equal(t.messages.length, toolActions.length + answers.length + messagesActions.length);
  assert.equal(raw.length - bookkeeping.length, t.messages.length);

  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.deepEqual(calls.map((c) => [c.id, c.name]), toolActions.map((e) => [e.tool_call_metadata!.tool_call_id, e.tool_call_metadata!.function_name]));
  // Raw arguments come verbatim from the logged model response.
  toolActions.forEach((e, k) => {
    const logged = e.tool_call_metadata!.model_response.choices[0]!.message.tool_calls.find((c) => c.id === e.tool_call_metadata!.tool_call_id)!;
    assert.equal(calls[k]!.raw_arguments, logged.function.arguments);
  });
  const results = t.messages.filter((m) => m.role === "tool");
  assert.equal(results.length, answers.length);
  answers.forEach((obs, k) => {
    const action = toolActions.find((a) => a.id === obs.cause)!;
    const r = results[k]!;
    assert.ok(r.role === "tool" && r.pairing === "id");
    assert.equal(r.call_id, action.tool_call_metadata!.tool_call_id);
    assert.equal(r.content, obs.content);
  });
  // args.thought is the text the model wrote with its call.
  const assistants = t.messages.filter((m) => m.role === "assistant" && m.tool_calls.length > 0);
  assert.deepEqual(assistants.map((m) => m.content), toolActions.map((e) => e.args!.thought));

  // The response repeated on each action and its observation appears once in the record.
  const out = JSON.stringify(t);
  for (const e of toolActions) assert.equal(out.split(e.tool_call_metadata!.model_response.id).length - 1, 1);

  // No finish action: the agent's last message is the answer.
  const lastAgentMessage = messagesActions.filter((e) => e.source === "agent").at(-1)!;
  assert.equal(t.final.answer, lastAgentMessage.args!.content);
  assert.equal(t.task.question, messagesActions.find((e) => e.source === "user")!.args!.content);
});

function evalRow() {
  return {
    instance_id: "pydicom__pydicom-1458",
    instruction: "Please fix the issue below.\n<issue>Pixel Representation should be optional</issue>",
    instance: {
      instance_id: "pydicom__pydicom-1458",
      repo: "pydicom/pydicom",
      base_commit: "8da0b9b2",
      problem_statement: "Pixel Representation should be optional",
    },
    metadata: { agent_class: "CodeActAgent", model_name: "gpt-4o", llm_config: { model: "gpt-4o", api_key: "sk-proj-never-in-output" } },
    test_result: { git_patch: "diff --git a/h.py b/h.py\n--- a/h.py\n+++ b/h.py\n@@ -1 +1 @@\n-a\n+b\n", report: { resolved: true } },
    error: null,
    history: [
      [{ id: 1, source: "user", action: "message", args: { content: "Please fix the issue below.\n<issue>Pixel Representation should be optional</issue>" } }, { id: 2, source: "user", observation: "null", cause: 1, content: "" }],
      [{ id: 3, source: "agent", action: "run", args: { command: "grep -n PixelRepresentation h.py", thought: "Find the check." } }, { id: 4, source: "agent", observation: "run", cause: 3, content: "12: required = ['PixelRepresentation']", extras: { command: "grep", metadata: { exit_code: 0 } } }],
      [{ source: "agent", action: "read", args: { path: "h.py", thought: "" } }, { source: "agent", observation: "read", content: "a = 1" }],
      [{ id: 7, source: "agent", action: "condensation", args: { forgotten_event_ids: [3, 4], summary: "Found the required-elements check at line 12." } }, {}],
      [{ id: 8, source: "agent", action: "edit", args: { path: "h.py", old_str: "a", new_str: "b", thought: "Make it optional." } }, { id: 9, source: "agent", observation: "error", cause: 8, content: "old_str not found" }],
      [{ id: 10, source: "environment", observation: "error", content: "Your last reply had no action." }],
      [{ id: 11, source: "agent", action: "finish", args: { final_thought: "Made PixelRepresentation optional.", outputs: {}, thought: "All done." } }, null],
    ],
  };
}

test("openhands-v0 eval rows with [action, observation] pairs: pairs, condensation, finish, patch and task", async () => {
  const file = join(tempDir(), "output.jsonl");
  const row = evalRow();
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "openhands-v0");
  assert.deepEqual(
    t.messages.map((m) => `${m.role}${m.source_role ? `/${m.source_role}` : ""}`),
    ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "user/environment", "assistant"],
  );
  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.deepEqual(calls.map((c) => [c.name, c.type, c.raw_arguments]), [["run", "text", null], ["read", "text", null], ["edit", "text", null], ["finish", "text", null]]);
  assert.deepEqual(calls[0]!.arguments, { command: "grep -n PixelRepresentation h.py" });
  const results = t.messages.filter((m) => m.role === "tool");
  // By cause (event ids), and by the pair for the events that have no ids.
  assert.deepEqual(results.map((r) => r.role === "tool" && r.call_id), [calls[0]!.id, calls[1]!.id, calls[2]!.id]);
  assert.deepEqual(results.map((r) => r.role === "tool" && r.pairing), ["id", "position", "id"]);
  assert.deepEqual(results.map((r) => r.role === "tool" && r.is_error), [false, false, true]);

  assert.deepEqual(t.events, [{ kind: "compaction", message_index: 5, summary: "Found the required-elements check at line 12.", marker: "condensation" }]);
  assert.deepEqual(t.messages.map((m) => m.in_context), [undefined, false, false, undefined, undefined, undefined, undefined, undefined, undefined]);

  assert.equal(t.task.question, row.instance.problem_statement);
  assert.equal(t.task.question_origin, "dataset_field");
  assert.deepEqual(t.task.repo, { name: "pydicom/pydicom", base_commit: "8da0b9b2" });
  assert.equal(t.final.answer, row.test_result.git_patch);
  assert.equal(t.final.kind, "patch");
  assert.equal(t.final.reasoning, "All done.");
  assert.equal(t.extra.finish_answer, "Made PixelRepresentation optional.");
  assert.equal(t.outcome.submitted_patch, row.test_result.git_patch);
  assert.equal(t.outcome.success, true);
  assert.equal(t.model, "gpt-4o");
  const out = JSON.stringify(t);
  assert.ok(!out.includes("sk-proj-never-in-output"));
  // The instruction is the user message already; it is not kept twice.
  assert.equal(out.split("<issue>Pixel").length - 1, 1);
});

test("openhands-v0: a finish action without a patch is the final answer", async () => {
  const file = join(tempDir(), "events.json");
  const events = [
    { id: 0, source: "user", action: "message", args: { content: "What is 2+2?" } },
    { id: 1, source: "agent", action: "think", args: { thought: "Easy." }, tool_call_metadata: { function_name: "think", tool_call_id: "t1", total_calls_in_response: 1 } },
    { id: 2, source: "agent", observation: "think", cause: 1, content: "Your thought has been logged." },
    { id: 3, source: "agent", action: "finish", args: { final_thought: "4", thought: "Answering." }, tool_call_metadata: { function_name: "finish", tool_call_id: "f1", total_calls_in_response: 1 } },
  ];
  writeFileSync(file, JSON.stringify(events));
  const { trajectories } = await importAll([file]);
  const t = trajectories[0]!;
  assert.deepEqual(t.final, { answer: "4", reasoning: "Answering.", kind: "submit_call" });
  assert.equal(t.messages.length, 4);
});

test("openhands-v0: a real eval row grown past the 4 MiB detection head, then two more rows: 3 read, 3 imported, calls and the long output whole", async () => {
  const line = readFileSync(realFixture("openhands-v0-eval-row.jsonl"), "utf8").split("\n")[0]!;
  const row = JSON.parse(line) as { instance_id: string; history: RawEvent[] };
  // Real rows reach several MB through long command outputs: the first run observation's output, repeated to 5 MB.
  const observation = row.history.find((e) => e.observation === "run")!;
  const long = observation.content!.repeat(Math.ceil((5 * 1024 * 1024) / observation.content!.length));
  observation.content = long;
  const big = JSON.stringify(row);
  assert.ok(Buffer.byteLength(big) > 4 * 1024 * 1024);
  // Counted from the raw row: the run actions the agent took.
  const runs = row.history.filter((e) => e.source === "agent" && e.action === "run").length;
  const file = join(tempDir(), "big-first.jsonl");
  writeFileSync(file, `${big}\n${line}\n${line}\n`);
  for (const options of [{}, { format: "openhands-v0" }]) {
    const { trajectories, rejects } = await importAll([file], options);
    assert.deepEqual(rejects, []);
    assert.deepEqual(trajectories.map((t) => [t.source.format, t.source.locator.line]), [["openhands-v0", 1], ["openhands-v0", 2], ["openhands-v0", 3]]);
    for (const t of trajectories) assert.equal(t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : [])).length, runs);
    assert.ok(trajectories[0]!.messages.some((m) => m.role === "tool" && m.content === long));
  }
});
