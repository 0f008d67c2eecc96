import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("swe-agent-traj/marshmallow-1867__function_calling_replace_from_source.traj");

interface RawHistoryItem {
  role: string;
  content: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_ids?: string[];
  is_demo?: boolean;
}
interface RawTraj {
  history: RawHistoryItem[];
  trajectory: { observation: string; messages: unknown[] }[];
  info: { submission: string; exit_status: string };
  replay_config: { problem_statement: { text: string; id: string }; env: { repo: { base_commit: string } } };
}

test("swe-agent v1: the conversation is history, once; calls, results, patch and task match the raw file", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawTraj;
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "swe-agent");

  // Every step's `messages` repeats the prompt; the record holds the history once.
  const history = raw.history.filter((m) => m.is_demo !== true);
  const prefixMessages = raw.trajectory.reduce((n, step) => n + step.messages.length, 0);
  assert.ok(prefixMessages > history.length * 2, "the sample stores growing prefixes");
  assert.equal(t.messages.length, history.length);
  assert.deepEqual(t.messages.map((m) => m.role), history.map((m) => m.role));

  const rawCalls = history.flatMap((m) => m.tool_calls ?? []);
  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.equal(calls.length, rawCalls.length);
  assert.deepEqual(calls.map((c) => c.raw_arguments), rawCalls.map((c) => c.function.arguments));
  assert.deepEqual(calls.map((c) => c.name), rawCalls.map((c) => c.function.name));

  // Results pair with their calls: the k-th result answers the call whose source id it names.
  const rawResults = history.filter((m) => m.role === "tool");
  const results = t.messages.filter((m) => m.role === "tool");
  assert.equal(results.length, rawResults.length);
  results.forEach((r, k) => {
    assert.ok(r.role === "tool");
    assert.notEqual(r.pairing, "unpaired");
    const call = calls.find((c) => c.id === r.call_id)!;
    assert.equal(call.id.split("~")[0], rawResults[k]!.tool_call_ids![0]);
    assert.equal(calls.indexOf(call), k);
  });
  // The step observations are the results already in history.
  raw.trajectory.forEach((step, k) => assert.ok(results[k]!.content.includes(step.observation.trim())));

  assert.equal(t.final.answer, raw.info.submission);
  assert.equal(t.final.kind, "patch");
  assert.equal(t.outcome.submitted_patch, raw.info.submission);
  assert.equal(t.outcome.exit_status, raw.info.exit_status);
  assert.equal(t.task.question, raw.replay_config.problem_statement.text);
  assert.equal(t.task.question_origin, "extracted_from_template");
  assert.equal(t.task.instance_id, raw.replay_config.problem_statement.id);
  assert.equal(t.task.repo?.base_commit, raw.replay_config.env.repo.base_commit);
  assert.equal(t.domain, "swe");
});

const LEGACY_ISSUE = "Pixel Representation should be optional\nwhen the data is float.";

function legacyTraj() {
  const submission = "\ndiff --git a/h.py b/h.py\n--- a/h.py\n+++ b/h.py\n@@ -1 +1 @@\n-x\n+y\n";
  return {
    environment: "swe_main",
    trajectory: [
      { action: "create repro.py\n", observation: "[File: /r/repro.py (1 lines total)]\n1:\n", response: "r1", thought: "t1", state: '{"open_file": "n/a"}' },
      { action: "python repro.py\n", observation: "AttributeError: PixelRepresentation\n", response: "r2", thought: "t2", state: '{"open_file": "/r/repro.py"}' },
      { action: "submit\n", observation: submission, response: "r3", thought: "t3", state: '{"open_file": "/r/repro.py"}' },
    ],
    history: [
      { role: "system", content: "SETTING: you are an autonomous programmer.", agent: "primary" },
      { role: "user", content: "Here is a demonstration of how to solve a task: ...", is_demo: true, agent: "primary" },
      { role: "user", content: `We're currently solving the following issue within our repository. Here's the issue text:\nISSUE:\n${LEGACY_ISSUE}\n\nINSTRUCTIONS:\nNow, you're going to solve this issue on your own.`, agent: "primary" },
      { role: "assistant", content: "First, reproduce.\n\n```\ncreate repro.py\n```", thought: "First, reproduce.\n\n", action: "create repro.py\n", agent: "primary" },
      { role: "user", content: "[File: /r/repro.py (1 lines total)]\n1:\n\n(Open file: /r/repro.py)\nbash-$", agent: "primary" },
      { role: "assistant", content: "Let me think about it first.", thought: "Let me think about it first.", agent: "primary" },
      { role: "user", content: "Your output was not formatted correctly. Please include one command.", agent: "primary" },
      { role: "assistant", content: "Run it.\n\n```\npython repro.py\n```", thought: "Run it.\n\n", action: "python repro.py\n", agent: "primary" },
      { role: "user", content: "AttributeError: PixelRepresentation\n\n(Open file: /r/repro.py)\nbash-$", agent: "primary" },
      { role: "assistant", content: "Fixed; submitting.\n\n```\nsubmit\n```", thought: "Fixed; submitting.\n\n", action: "submit\n", agent: "primary" },
    ],
    info: { exit_status: "submitted", submission, model_stats: { instance_cost: 1.2, api_calls: 4 } },
  };
}

test("swe-agent 0.x: text actions become calls, user-role observations become paired tool results, demos are dropped", async () => {
  const file = join(tempDir(), "legacy.traj");
  const raw = legacyTraj();
  writeFileSync(file, JSON.stringify(raw, null, 2));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "swe-agent");
  assert.deepEqual(
    t.messages.map((m) => `${m.role}${m.source_role ? `/${m.source_role}` : ""}`),
    ["system", "user", "assistant", "tool/user", "assistant", "user", "assistant", "tool/user", "assistant"],
  );
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.count]), [["demonstrations-dropped", 1]]);
  assert.match(t.warnings?.map((w) => w.message).join(" ") ?? "", /dropped 1 demonstration/);
  assert.equal(t.task.question, LEGACY_ISSUE);
  assert.equal(t.task.question_origin, "extracted_from_template");

  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.deepEqual(calls.map((c) => [c.type, c.raw_arguments]), [["text", "create repro.py\n"], ["text", "python repro.py\n"], ["text", "submit\n"]]);
  const results = t.messages.filter((m) => m.role === "tool");
  assert.deepEqual(results.map((r) => r.role === "tool" && [r.call_id, r.pairing]), [[calls[0]!.id, "position"], [calls[1]!.id, "position"]]);
  // The format-error reply stays a user turn: no call was open.
  assert.equal(t.messages[5]!.content, raw.history[6]!.content);

  assert.equal(t.final.answer, raw.info.submission);
  assert.equal(t.final.kind, "patch");
  assert.equal(t.final.reasoning, "Fixed; submitting.\n\n");
  assert.equal(t.outcome.submitted_patch, raw.info.submission);
  assert.equal(t.outcome.exit_status, "submitted");
  const steps = t.extra.steps as Record<string, unknown>[];
  assert.deepEqual(steps[1], { state: '{"open_file": "/r/repro.py"}' });
});

test("swe-agent: a replay_config stored as a JSON string is read for the repo and kept without credentials", async () => {
  const file = join(tempDir(), "string-config.traj");
  const config = {
    env: { repo: { github_url: "https://github.com/pydicom/pydicom", base_commit: "abc123", type: "github" } },
    agent: { model: { name: "gpt-4o", api_key: "sk-live-should-not-leak" }, templates: { instance_template: "<issue>\n{{problem_statement}}\n</issue>\nGo." } },
    problem_statement: { text: "Fix the bug.", id: "pydicom__pydicom-1" },
    env_var_path: null,
  };
  const traj = {
    trajectory: [],
    history: [
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "<issue>\nFix the bug.\n</issue>\nGo." }] },
      { role: "assistant", content: "Giving up.", tool_calls: [{ id: "c1", type: "function", function: { name: "exit_forfeit", arguments: "{}" } }] },
    ],
    info: { exit_status: "exit_forfeit", submission: null },
    replay_config: JSON.stringify(config),
  };
  writeFileSync(file, JSON.stringify(traj));
  const { trajectories } = await importAll([file]);
  const t = trajectories[0]!;
  assert.deepEqual(t.task.repo, { name: "pydicom/pydicom", url: "https://github.com/pydicom/pydicom", base_commit: "abc123" });
  assert.equal(t.task.question, "Fix the bug.");
  assert.equal(t.model, "gpt-4o");
  assert.equal(t.outcome.submitted_patch, null);
  assert.equal(t.outcome.exit_status, "exit_forfeit");
  const out = JSON.stringify(t);
  assert.ok(!out.includes("sk-live-should-not-leak"));
  assert.match(out, /"api_key":"\[redacted\]"/);
});
