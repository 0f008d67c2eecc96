import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("tau2-bench/airline_run1.json");

interface RawCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}
interface RawMessage {
  role: string;
  content: string | null;
  tool_calls?: RawCall[] | null;
  id?: string;
  error?: boolean;
}
interface RawResults {
  tasks: { id: string; user_scenario: { instructions: Record<string, string | null> } }[];
  simulations: { task_id: string; messages: RawMessage[]; reward_info: { reward: number }; termination_reason: string }[];
}

const callsOf = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const resultsOf = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");

test("tau2-bench: one trajectory per simulation with its messages, calls, results, errors and reward", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawResults;
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, raw.simulations.length);
  let totalCalls = 0;
  let totalErrors = 0;
  raw.simulations.forEach((sim, i) => {
    const t = trajectories[i]!;
    assert.equal(t.source.format, "tau2-bench");
    assert.equal(t.source.locator.json_pointer, `/simulations/${i}`);
    assert.equal(t.messages.length, sim.messages.length);
    assert.deepEqual(t.messages.map((m) => m.role), sim.messages.map((m) => m.role));

    const rawCalls = sim.messages.flatMap((m) => m.tool_calls ?? []);
    const calls = callsOf(t);
    assert.deepEqual(calls.map((c) => c.name), rawCalls.map((c) => c.name));
    assert.deepEqual(calls.map((c) => c.arguments), rawCalls.map((c) => c.arguments));
    assert.ok(calls.every((c) => c.raw_arguments === null), "tau2 stores arguments as objects: no raw text");
    assert.equal(new Set(calls.map((c) => c.id)).size, calls.length);
    totalCalls += calls.length;

    const rawResults = sim.messages.filter((m) => m.role === "tool");
    const results = resultsOf(t);
    assert.equal(results.length, rawResults.length);
    results.forEach((r, k) => {
      assert.ok(r.role === "tool");
      assert.equal(r.content, rawResults[k]!.content);
      assert.equal(r.is_error, rawResults[k]!.error === true);
      // The result answers a call that carried the same source id (ids are reused across calls, so ~n suffixes).
      const call = calls.find((c) => c.id === r.call_id);
      assert.ok(call, "every result is paired with a call of its trajectory");
      assert.equal(call.id.split("~")[0], rawResults[k]!.id);
      assert.equal(r.name, call.name);
    });
    totalErrors += results.filter((r) => r.role === "tool" && r.is_error).length;

    assert.equal(t.outcome.reward, sim.reward_info.reward);
    assert.equal(t.outcome.success, sim.reward_info.reward >= 1);
    assert.equal(t.outcome.exit_status, sim.termination_reason);
    const task = raw.tasks.find((candidate) => candidate.id === sim.task_id)!;
    assert.equal(t.task.instance_id, sim.task_id);
    assert.equal(t.task.question_origin, "dataset_field");
    assert.ok(t.task.question!.replaceAll("\t", "").includes(task.user_scenario.instructions.reason_for_call!));
  });
  const rawAll = raw.simulations.flatMap((s) => s.messages);
  assert.equal(totalCalls, rawAll.flatMap((m) => m.tool_calls ?? []).length);
  assert.equal(totalErrors, rawAll.filter((m) => m.role === "tool" && m.error === true).length);
  assert.ok(totalErrors > 0, "the sample has failing tool calls");
});

test("tau2-bench: simulations that reuse a tool-call id still pair each result with the open call", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawResults;
  const reusing = raw.simulations.findIndex((s) => {
    const ids = s.messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id));
    return new Set(ids).size < ids.length;
  });
  assert.ok(reusing >= 0, "the sample has simulations that reuse ids");
  const { trajectories } = await importAll([FILE]);
  const t = trajectories[reusing]!;
  assert.ok(callsOf(t).some((c) => c.id_origin === "deduplicated"));
  // In tau2 every call is answered before the next one, so the k-th result answers the k-th call.
  const calls = callsOf(t);
  resultsOf(t).forEach((r, k) => assert.equal(r.role === "tool" && r.call_id, calls[k]!.id));
});

const instructions = {
  domain: "telecom",
  reason_for_call: "My phone has no data.",
  known_info: "You are John.\nPhone 555-0100.",
  unknown_info: null,
  task_instructions: "Follow the agent's steps.",
};

function message(role: string, content: string | null, more: Record<string, unknown> = {}) {
  return { role, content, turn_idx: 0, timestamp: "2025-01-01T00:00:00", is_audio: false, audio_path: null, ...more };
}

function results(simulations: unknown[]) {
  return {
    timestamp: "2025-01-01",
    info: { agent_info: { llm: "gpt-4.1" }, environment_info: { domain_name: "telecom", policy: "Telecom policy.", tool_defs: null } },
    tasks: [
      { id: "t1", user_scenario: { instructions } },
      { id: "t2", user_scenario: { instructions: "Ask for a refund." } },
    ],
    simulations,
  };
}

const telecomRun = {
  id: "sim-1",
  task_id: "t1",
  termination_reason: "agent_stop",
  reward_info: { reward: 1.0, db_check: { db_match: true } },
  messages: [
    message("assistant", "Hi, how can I help?"),
    message("user", "My phone has no data."),
    message("assistant", null, { tool_calls: [{ id: "c1", name: "get_line", arguments: { phone: "555-0100" }, requestor: "assistant" }] }),
    message("tool", '{"status": "suspended"}', { id: "c1", requestor: "assistant", error: false }),
    message("assistant", "Please toggle airplane mode."),
    message("user", null, { tool_calls: [{ id: "u1", name: "toggle_airplane_mode", arguments: {}, requestor: "user" }] }),
    message("tool", "Airplane mode: off", { id: "u1", requestor: "user", error: false }),
    message("user", "Done, still no data."),
    message("assistant", null, { tool_calls: [{ id: "c2", name: "resume_line", arguments: { phone: "555-0100" }, requestor: "assistant" }] }),
    message("tool", "Error: line not found", { id: "c2", requestor: "assistant", error: true }),
    message("assistant", "Your line is resumed."),
  ],
};

test("tau2-bench: the simulated user's own calls stay on the user message; the agent's calls pair; task, policy and model come from the run", async () => {
  const file = join(tempDir(), "run.json");
  writeFileSync(file, JSON.stringify(results([telecomRun, { ...telecomRun, id: "sim-2", task_id: "t2", reward_info: { reward: 0 } }]), null, 2));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  assert.deepEqual(trajectories.map((t) => t.source.format), ["tau2-bench", "tau2-bench"]);
  const [first, second] = trajectories as [Trajectory, Trajectory];
  // 11 raw messages, minus the user's tool result folded into its user message.
  assert.equal(first.messages.length, 10);
  assert.deepEqual(callsOf(first).map((c) => c.name), ["get_line", "resume_line"]);
  const userCall = first.messages[5]!;
  assert.equal(userCall.role, "user");
  const userExtra = userCall.extra as { tool_calls: { name: string }[]; tool_results: { content: string }[] };
  assert.equal(userExtra.tool_calls[0]!.name, "toggle_airplane_mode");
  assert.equal(userExtra.tool_results[0]!.content, "Airplane mode: off");
  const agentResults = resultsOf(first);
  assert.deepEqual(agentResults.map((r) => r.role === "tool" && [r.call_id, r.is_error]), [["c1", false], ["c2", true]]);
  assert.ok(first.messages.every((m) => m.extra?.audio_path === undefined), "null voice fields are not kept");
  assert.equal(first.messages[0]!.timestamp, "2025-01-01T00:00:00");
  assert.equal(first.task.question, "Domain: telecom\nReason for call:\n\tMy phone has no data.\nKnown info:\n\tYou are John.\n\tPhone 555-0100.\nTask instructions:\n\tFollow the agent's steps.");
  assert.equal(first.task.system_prompt, "Telecom policy.");
  assert.equal(first.model, "gpt-4.1");
  assert.equal(first.final.answer, "Your line is resumed.");
  assert.deepEqual([first.outcome.reward, first.outcome.success, first.outcome.exit_status], [1, true, "agent_stop"]);
  assert.equal(second.task.question, "Ask for a refund.");
  assert.deepEqual([second.outcome.reward, second.outcome.success], [0, false]);
  assert.equal((first.extra.run as { environment_info: Record<string, unknown> }).environment_info.policy, undefined, "the policy is kept once, as the system prompt");
});

test("tau2-bench: a bad simulation is rejected alone with its path; broken results documents are rejected whole", async () => {
  const dir = tempDir();
  const badName = structuredClone(telecomRun);
  (badName.messages[2] as unknown as { tool_calls: { name: unknown }[] }).tool_calls[0]!.name = 7;
  const badReward = { ...telecomRun, reward_info: { reward: "1" } };
  const badRole = { ...telecomRun, messages: [message("robot", "hi")] };
  writeFileSync(join(dir, "mixed.json"), JSON.stringify(results([telecomRun, badName, badReward, badRole]), null, 2));
  const { trajectories, rejects } = await importAll([join(dir, "mixed.json")]);
  assert.deepEqual(trajectories.map((t) => t.source.locator.json_pointer), ["/simulations/0"]);
  assert.deepEqual(rejects.map((r) => r.locator.json_pointer), ["/simulations/1", "/simulations/2", "/simulations/3"]);
  assert.match(rejects[0]!.reason, /simulations\[1\]\.messages\[2\]\.tool_calls\[0\]\.name: expected a string, got a number/);
  assert.match(rejects[1]!.reason, /simulations\[2\]\.reward_info\.reward: expected a number, got a string/);
  assert.match(rejects[2]!.reason, /simulations\[3\]\.messages\[0\]\.role/);

  // One results document per JSONL line: a line whose simulations are not a list, one with none.
  const lines = [results([telecomRun]), { ...results([]), simulations: { a: 1 } }, results([])].map((r) => JSON.stringify(r));
  writeFileSync(join(dir, "runs.jsonl"), `${lines.join("\n")}\n`);
  const jsonl = await importAll([join(dir, "runs.jsonl")], { format: "tau2-bench" });
  assert.deepEqual(jsonl.trajectories.map((t) => [t.source.locator.line, t.source.locator.json_pointer]), [[1, "/simulations/0"]]);
  assert.deepEqual(jsonl.rejects.map((r) => r.locator), [{ line: 2, json_pointer: "" }, { line: 3, json_pointer: "" }]);

  // A JSON array of results documents: each element located by its index and pointer.
  writeFileSync(join(dir, "runs.json"), JSON.stringify([results([]), results([telecomRun])]));
  const array = await importAll([join(dir, "runs.json")], { format: "tau2-bench" });
  assert.deepEqual(array.trajectories.map((t) => t.source.locator), [{ index: 1, json_pointer: "/1/simulations/0" }]);
  assert.deepEqual(array.rejects.map((r) => r.locator), [{ index: 0, json_pointer: "/0" }]);
  assert.match(jsonl.rejects[0]!.reason, /^simulations: expected an array, got an object/);
  assert.match(jsonl.rejects[1]!.reason, /no simulation/);
});

test("tau2-bench: detected from content alone, whatever the file is called", async () => {
  const file = join(tempDir(), "export.jsonl");
  writeFileSync(file, `${JSON.stringify(results([telecomRun]))}\n`);
  const { trajectories } = await importAll([file]);
  assert.deepEqual(trajectories.map((t) => t.source.format), ["tau2-bench"]);
});
