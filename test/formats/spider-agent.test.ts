import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const FILE = sample("sql-agent-spider-agent-tc/sf_bq024.json");

interface RawMessage {
  role: string;
  content: string;
  tool_calls?: { name: string; arguments: Record<string, string> }[];
}

const callsOf = (t: Trajectory) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));
const resultsOf = (t: Trajectory) => t.messages.filter((m) => m.role === "tool");

test("spider-agent TC: the conversation's calls (no ids) pair with their EXECUTION RESULT turns by position", { skip: SAMPLES_MISSING }, async () => {
  const raw = JSON.parse(readFileSync(FILE, "utf8")) as { instance_id: string; conversation: RawMessage[]; final_messages: unknown[]; terminated: boolean }[];
  const { trajectories, rejects } = await importAll([FILE]);
  assert.equal(rejects.length, 0);
  assert.equal(trajectories.length, raw.length);
  const run = raw[0]!;
  const t = trajectories[0]!;
  assert.equal(t.source.format, "spider-agent");
  assert.equal(t.source.format_version, "tc");
  assert.equal(t.messages.length, run.conversation.length);

  const rawCalls = run.conversation.flatMap((m) => m.tool_calls ?? []);
  const calls = callsOf(t);
  assert.equal(calls.length, rawCalls.length);
  assert.deepEqual(calls.map((c) => c.name), rawCalls.map((c) => c.name));
  assert.deepEqual(calls.map((c) => c.arguments), rawCalls.map((c) => c.arguments));
  assert.ok(calls.every((c) => c.id_origin === "synthesised" && c.raw_arguments === null));

  // Each tool turn names its tool in its prefix; the k-th names the k-th call's tool.
  const rawResults = run.conversation.filter((m) => m.role === "tool");
  const results = resultsOf(t);
  assert.equal(results.length, rawResults.length);
  results.forEach((r, k) => {
    assert.ok(r.role === "tool");
    assert.equal(r.content, rawResults[k]!.content);
    const named = rawResults[k]!.content.split("]:")[0]!.replace("EXECUTION RESULT of [", "");
    assert.equal(named, rawCalls[k]!.name);
    assert.equal(r.call_id, calls[k]!.id);
    assert.equal(r.name, named);
    assert.equal(r.pairing, "position");
  });

  const prompt = run.conversation.find((m) => m.role === "user")!.content;
  assert.equal(t.task.instance_id, run.instance_id);
  assert.equal(t.task.question, prompt.split("\n")[0]!.replace("Question: ", "").trim());
  assert.equal(t.task.question_origin, "extracted_from_template");
  assert.equal(t.task.database?.db_id, prompt.split("the database name is ")[1]!.split(",")[0]);
  assert.equal(t.task.database?.engine, "snowflake");
  // This run ran out of rounds: no terminate call, so no submitted SQL.
  assert.equal(run.terminated, false);
  assert.equal(rawCalls.some((c) => c.name === "terminate"), false);
  assert.deepEqual([t.final.kind, t.outcome.submitted_sql, t.outcome.exit_status], ["none", null, "max_rounds"]);
  assert.equal(t.extra.terminated, false);
  // final_messages is the same turns rendered as text (XML calls, results as user turns): kept once.
  assert.equal(run.final_messages.length, run.conversation.length);
  assert.equal(t.extra.final_messages, undefined);
  assert.equal(t.warnings, undefined);
});

const system = { role: "system", content: "You are a database expert. Use terminate(answer=...) to submit." };
const user = {
  role: "user",
  content: "Question: How many users are there?\nExternal Knowledge: None\n\nYou are in the folder contains schema, the database name is SHOP, the database contains schema_name:\n",
};
const sql = 'SELECT COUNT(*) FROM SHOP.PUBLIC."USERS"';
const terminatedRun = {
  instance_id: "local001",
  rollout_idx: 0,
  conversation: [
    system,
    user,
    { role: "assistant", content: "Let me think about it.", tool_calls: [] },
    { role: "user", content: "Please follow the <tool_call> tag format and return a <tool_call> tag containing function name and parameters." },
    { role: "assistant", content: "Count the users.", tool_calls: [{ name: "execute_sqlite_sql", arguments: { sql } }] },
    { role: "tool", content: "EXECUTION RESULT of [execute_sqlite_sql]:\nCOUNT(*)\n42" },
    { role: "assistant", content: "42 users; submitting.", tool_calls: [{ name: "terminate", arguments: { answer: sql } }] },
  ],
  final_messages: [system, user],
  terminated: true,
};

test("spider-agent TC: terminate(answer=SQL) is the final answer and the submitted SQL; a failed run is rejected with its error", async () => {
  const file = join(tempDir(), "local001.json");
  const failed = { instance_id: "local002", rollout_idx: 0, error: "ERROR: Failed to get response after 500 retries", round_failed: 3, terminated: false };
  writeFileSync(file, JSON.stringify([terminatedRun, failed], null, 2));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(trajectories.length, 1);
  const t = trajectories[0]!;
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], [sql, "sql", "42 users; submitting."]);
  assert.deepEqual([t.outcome.submitted_sql, t.outcome.exit_status], [sql, "terminated"]);
  assert.deepEqual(t.task.database, { db_id: "SHOP", engine: "sqlite" });
  assert.equal(t.task.question, "How many users are there?");
  assert.equal(t.domain, "sql");
  // The format reminder after a turn without a call is an ordinary user turn; the terminate call has no result.
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "user", "assistant", "tool", "assistant"]);
  // final_messages here is not a turn-by-turn rendering, so it is kept, with a warning.
  assert.equal((t.extra.final_messages as unknown[]).length, 2);
  assert.deepEqual(t.warnings?.map((w) => [w.code, w.field]), [["divergent-copy", "final_messages"]]);
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.locator.index, 1);
  assert.match(rejects[0]!.reason, /failed in round 3 .*500 retries/);
});

test("spider-agent TC: wrong types are rejected with their path", async () => {
  const file = join(tempDir(), "bad.json");
  const badCall = structuredClone(terminatedRun);
  (badCall.conversation[4] as { tool_calls: { name: unknown }[] }).tool_calls[0]!.name = 5;
  const badConversation = { ...terminatedRun, conversation: "hello" };
  writeFileSync(file, JSON.stringify([terminatedRun, badCall, badConversation]));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(rejects.map((r) => r.locator.index), [1, 2]);
  assert.match(rejects[0]!.reason, /conversation\[4\]\.tool_calls\[0\]/);
  assert.match(rejects[1]!.reason, /^conversation: expected an array of messages, got a string/);
});

// Spider-Agent-lite `spider/result.json`, built from PromptAgent.get_trajectory and run.py: step i holds the
// observation seen before acting, then the thought, the str() of the action and the raw response.
const lite = {
  finished: true,
  steps: 4,
  result: "SELECT name FROM users WHERE active = 1",
  result_files: { added_files: ["result.csv"], changed_files: [], post_process_files: [] },
  Task: "List the names of active users.",
  system_message: "You are a data scientist proficient in database, SQL and DBT Project. ...",
  trajectory: [
    { observation: "You are in the folder now.", thought: "Look at the files.", action: 'Bash(code="ls")', response: 'Thought: Look at the files.\nAction: Bash(code="ls")' },
    {
      observation: "shop.sqlite\n",
      thought: "Query the table.",
      action: 'LOCAL_DB_SQL(file_path="shop.sqlite", command="SELECT name, id FROM users WHERE active = 1, 2", output="direct")',
      response: "Thought: Query the table.\nAction: LOCAL_DB_SQL(...)",
    },
    { observation: "name,id\nann,1", thought: "I am not sure how to write this.", action: "None", response: "I am not sure how to write this." },
    {
      observation: "Failed to parse action from your response, make sure you provide a valid action.",
      thought: "Submit the query.",
      action: 'Terminate(output="SELECT name FROM users WHERE active = 1")',
      response: "Thought: Submit the query.\nAction: Terminate(...)",
    },
  ],
};

test("spider-agent lite: each observation answers the previous action; Terminate's output is the final answer", async () => {
  const file = join(tempDir(), "result.json");
  writeFileSync(file, JSON.stringify(lite, null, 2));
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.deepEqual([t.source.format, t.source.format_version], ["spider-agent", "lite"]);
  // system; obs0 as user; Bash; its result; LOCAL_DB_SQL; its result; unparsed action; feedback as user; Terminate
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "user", "assistant"]);
  const calls = callsOf(t);
  assert.deepEqual(calls.map((c) => c.name), ["Bash", "LOCAL_DB_SQL", "Terminate"]);
  assert.deepEqual(calls[0]!.arguments, { code: "ls" });
  assert.deepEqual(calls[1]!.arguments, { file_path: "shop.sqlite", command: "SELECT name, id FROM users WHERE active = 1, 2", output: "direct" });
  assert.equal(calls[1]!.raw_arguments, lite.trajectory[1]!.action);
  assert.deepEqual(resultsOf(t).map((r) => r.content), ["shop.sqlite\n", "name,id\nann,1"]);
  assert.deepEqual(resultsOf(t).map((r) => r.role === "tool" && r.name), ["Bash", "LOCAL_DB_SQL"]);
  const unparsed = t.messages[6]!;
  assert.ok(unparsed.role === "assistant" && unparsed.tool_calls.length === 0 && unparsed.extra?.action === "None");
  assert.equal(t.messages[2]!.extra?.response, lite.trajectory[0]!.response);
  assert.deepEqual([t.task.question, t.task.question_origin, t.task.system_prompt], [lite.Task, "dataset_field", lite.system_message]);
  assert.deepEqual([t.final.answer, t.final.kind, t.final.reasoning], [lite.result, "submit_call", "Submit the query."]);
  assert.deepEqual([t.outcome.submitted_sql, t.outcome.exit_status], [lite.result, "finished"]);
  assert.equal(t.domain, "sql");
});

test("spider-agent lite: wrong types are rejected with their path", async () => {
  const dir = tempDir();
  const bad = structuredClone(lite) as unknown as { trajectory: Record<string, unknown>[] };
  bad.trajectory[1]!.action = 5;
  writeFileSync(join(dir, "a.json"), JSON.stringify(bad));
  writeFileSync(join(dir, "b.json"), JSON.stringify({ ...lite, trajectory: [lite.trajectory[0], "step"] }));
  writeFileSync(join(dir, "c.json"), JSON.stringify({ ...lite, finished: "yes" }));
  const { trajectories, rejects } = await importAll([dir]);
  assert.equal(trajectories.length, 0);
  assert.deepEqual(rejects.map((r) => r.reason.split(":")[0]), ["trajectory[1].action", "trajectory[1]", "finished"]);
  assert.ok(rejects.every((r) => r.format === "spider-agent" && r.code === "wrong-shape"));
});
