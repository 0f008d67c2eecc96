import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("mini-swe-agent/astropy__astropy-12907.traj.json");

interface RawMessage {
  role: string;
  content: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[] | null;
  tool_call_id?: string;
  extra?: { response?: { model: string; usage: unknown }; raw_output?: string; submission?: string };
}
interface RawRun {
  info: { submission: string; exit_status: string; config: { model: { model_name: string } } };
  messages: RawMessage[];
  trajectory_format: string;
  instance_id: string;
}

test("mini-swe-agent tool-call mode: messages, calls, id pairs, exit and submission match the raw file", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as RawRun;
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "mini-swe-agent");
  assert.equal(t.source.format_version, raw.trajectory_format);

  // 130 messages (SOURCES.md): the exit message becomes final/outcome, the rest stay, in order.
  assert.equal(raw.messages.length, 130);
  const chat = raw.messages.filter((m) => m.role !== "exit");
  assert.equal(t.messages.length, chat.length);
  assert.deepEqual(t.messages.map((m) => m.role), chat.map((m) => m.role));
  assert.equal(t.messages.filter((m) => m.role === "assistant").length, 64);

  const rawCalls = chat.flatMap((m) => m.tool_calls ?? []);
  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.equal(calls.length, rawCalls.length);
  assert.deepEqual(calls.map((c) => [c.id, c.raw_arguments]), rawCalls.map((c) => [c.id, c.function.arguments]));
  const rawResults = chat.filter((m) => m.role === "tool");
  const results = t.messages.filter((m) => m.role === "tool");
  assert.equal(results.length, rawResults.length);
  results.forEach((r, k) => {
    assert.ok(r.role === "tool");
    assert.equal(r.call_id, rawResults[k]!.tool_call_id);
    assert.equal(r.pairing, "id");
  });

  assert.equal(t.final.answer, raw.info.submission);
  assert.equal(t.final.kind, "patch");
  assert.equal(t.outcome.submitted_patch, raw.info.submission);
  assert.equal(t.outcome.exit_status, raw.info.exit_status);
  assert.equal(t.task.instance_id, raw.instance_id);
  assert.equal(t.model, raw.info.config.model.model_name);

  // The question is what the instance template wrapped in <pr_description>.
  const first = chat.find((m) => m.role === "user")!.content;
  const head = "Consider the following PR description:\n";
  assert.equal(t.task.question, first.slice(first.indexOf(head) + head.length, first.indexOf("\n</pr_description>")));
  assert.equal(t.task.question_origin, "extracted_from_template");

  // The raw LiteLLM response repeats the message: only its model and usage are kept.
  const rawAssistants = chat.filter((m) => m.role === "assistant");
  const assistants = t.messages.filter((m) => m.role === "assistant");
  assistants.forEach((m, k) => {
    assert.ok(m.role === "assistant");
    assert.equal(m.extra?.response, undefined);
    assert.equal(m.model, rawAssistants[k]!.extra!.response!.model);
    assert.deepEqual(m.extra?.usage, rawAssistants[k]!.extra!.response!.usage);
  });
  // raw_output repeats the observation text and is dropped when the observation holds it all.
  results.forEach((r, k) => {
    const rawOutput = rawResults[k]!.extra?.raw_output;
    if (rawOutput !== undefined && r.content.includes(rawOutput)) assert.equal(r.extra?.raw_output, undefined);
  });
});

const TASK = "Fix the syntax error in missing_colon.py.";
const DIFF = "diff --git a/tests/missing_colon.py b/tests/missing_colon.py\n--- a/tests/missing_colon.py\n+++ b/tests/missing_colon.py\n@@ -1 +1 @@\n-def f()\n+def f():\n";

test("mini-swe-agent text mode (a bare message list): one fenced action per turn, user-role observations, submission from the final command", async () => {
  const file = join(tempDir(), "github_issue.traj.json");
  const messages = [
    { role: "system", content: "Your response must contain exactly ONE bash code block." },
    { role: "user", content: `Please solve this issue: ${TASK}\n\nYou can execute bash commands.` },
    { role: "assistant", content: "Let me look.\n\n```mswea_bash_command\ncat tests/missing_colon.py\n```" },
    { role: "user", content: "<returncode>0</returncode>\n<output>\ndef f()\n</output>" },
    { role: "assistant", content: "Two at once:\n\n```bash\nls\n```\n\n```bash\npwd\n```" },
    { role: "user", content: "Please always provide EXACTLY ONE action in triple backticks, found 2 actions." },
    { role: "assistant", content: "Fix it.\n\n```bash\nsed -i 's/def f()/def f():/' tests/missing_colon.py\n```" },
    { role: "user", content: "<returncode>1</returncode>\n<output>\n</output>" },
    { role: "assistant", content: "Submit.\n\n```bash\ngit diff && echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```" },
    { role: "user", content: DIFF },
  ];
  writeFileSync(file, JSON.stringify(messages, null, 2));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "mini-swe-agent");
  assert.deepEqual(
    t.messages.map((m) => `${m.role}${m.source_role ? `/${m.source_role}` : ""}`),
    ["system", "user", "assistant", "tool/user", "assistant", "user", "assistant", "tool/user", "assistant", "tool/user"],
  );
  const calls = t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
  assert.deepEqual(calls.map((c) => [c.type, c.name, c.raw_arguments]), [
    ["text", "bash", "cat tests/missing_colon.py"],
    ["text", "bash", "sed -i 's/def f()/def f():/' tests/missing_colon.py"],
    ["text", "bash", "git diff && echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"],
  ]);
  const results = t.messages.filter((m) => m.role === "tool");
  results.forEach((r, k) => assert.ok(r.role === "tool" && r.call_id === calls[k]!.id && r.pairing === "position" && !r.is_error));
  // The assistant text keeps its fenced block verbatim: the call is a view of it, not a rewrite.
  assert.equal(t.messages[2]!.content, messages[2]!.content);
  assert.equal(t.final.answer, DIFF);
  assert.equal(t.final.kind, "patch");
  assert.equal(t.outcome.submitted_patch, DIFF);
});

test("mini-swe-agent 1.x object in text mode: info gives exit status and submission, credentials in its config are redacted", async () => {
  const file = join(tempDir(), "run.traj.json");
  const run = {
    info: {
      exit_status: "LimitsExceeded",
      submission: "",
      mini_version: "1.9.0",
      config: { model: { model_name: "anthropic/claude-sonnet-4", model_kwargs: { api_key: "sk-ant-do-not-leak", temperature: 0 } } },
    },
    messages: [
      { role: "system", content: "sys" },
      { role: "user", content: TASK },
      { role: "assistant", content: "Look.\n```bash\nls\n```" },
      { role: "user", content: "<returncode>0</returncode>\n<output>\na.py\n</output>" },
      { role: "assistant", content: "Hmm.\n```bash\ncat a.py\n```" },
    ],
    trajectory_format: "mini-swe-agent-1",
  };
  writeFileSync(file, JSON.stringify(run));
  const { trajectories } = await importAll([file]);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "mini-swe-agent");
  assert.equal(t.outcome.exit_status, "LimitsExceeded");
  assert.equal(t.outcome.submitted_patch, null);
  assert.deepEqual(t.final, { answer: null, reasoning: null, kind: "none" });
  assert.equal(t.messages[3]!.role, "tool");
  const lastCall = t.messages[4]!;
  assert.ok(lastCall.role === "assistant" && lastCall.tool_calls.length === 1);
  const out = JSON.stringify(t);
  assert.ok(!out.includes("sk-ant-do-not-leak"));
  assert.match(out, /"api_key":"\[redacted\]"/);
});

test("mini-swe-agent through OpenRouter (real Gemini run): reasoning only in the raw completion is read; encrypted reasoning kept", async () => {
  const file = realFixture("mini-swe-agent-openrouter-gemini.traj.json");
  type Detail = { type: string; text?: string; data?: string };
  type Choice = { message: { reasoning?: string | null; reasoning_details?: Detail[] } };
  const raw = JSON.parse(readFileSync(file, "utf8")) as { messages: { role: string; extra?: { response?: { choices: Choice[] } } }[] };
  const rawAssistants = raw.messages.filter((m) => m.role === "assistant");
  const rawReasoning = rawAssistants.map((m) => m.extra?.response?.choices[0]?.message.reasoning ?? null);
  const encrypted = rawAssistants.flatMap((m) => (m.extra?.response?.choices[0]?.message.reasoning_details ?? []).filter((d) => d.type === "reasoning.encrypted"));
  assert.ok(rawReasoning.filter((r) => r !== null).length >= 2 && encrypted.length >= 2, "the fixture has reasoning and encrypted reasoning");

  const { trajectories, rejects } = await importAll([file], { audit: true });
  assert.equal(rejects.length, 0);
  const assistants = trajectories[0]!.messages.filter((m) => m.role === "assistant");
  assert.deepEqual(assistants.map((m) => (m.role === "assistant" ? m.reasoning : null)), rawReasoning);
  // The encrypted blobs stay (a provider needs them back); the text they sit beside is not stored twice.
  const kept = assistants.flatMap((m) => (m.extra?.reasoning_details as Detail[] | undefined) ?? []);
  assert.deepEqual(kept.filter((d) => d.type === "reasoning.encrypted").map((d) => d.data), encrypted.map((d) => d.data));
  assert.ok(kept.every((d) => d.text === undefined));
});

test("audit: the OpenRouter run loses no text unexplained (before the fix its reasoning was the largest unexplained path)", async () => {
  const { audits } = await importAll([realFixture("mini-swe-agent-openrouter-gemini.traj.json")], { audit: true });
  const dropped = Object.values(audits[0]!.counts.dropped);
  assert.deepEqual(dropped.filter((d) => d.reason === null).map((d) => d.path), []);
  assert.deepEqual(dropped.filter((d) => d.path.includes("reasoning") && d.reason !== "structure").map((d) => d.path), []);
});
