import assert from "node:assert/strict";
import { test } from "node:test";
import { OBSERVATION_PLACEHOLDER } from "../../src/rollout/context.js";
import { textProtocol } from "../../src/rollout/protocol.js";
import { episodeRows } from "../../src/rollout/rows.js";
import { episodeTrajectory } from "../../src/rollout/trajectory.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { validate } from "../../src/records/validate.js";
import { BOOKS_TASK, type ChatBody, contextSettings, episodeSettings, policyServer, runSql, sqlHarness, turns } from "./harness.js";

const FINAL = { content: "```sql\nSELECT count(*) FROM books\n```\n10" };
const queries = (n: number) => (body: ChatBody) => (turns(body) < n ? runSql(`SELECT ${turns(body)} AS q`, `call_${turns(body)}`) : FINAL);

test("mask-observations keeps the last k tool results and replaces older ones; each change of the view starts a new row", async () => {
  const server = await policyServer(queries(4));
  const h = await sqlHarness(server, episodeSettings({ context: contextSettings({ kind: "mask-observations", keepObservations: 2 }) }));
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "final");
    const last = server.requests.at(-1)!.body as ChatBody;
    const results = last.messages.filter((m) => m.role === "tool").map((m) => m.content);
    assert.deepEqual(results.slice(0, 2), [OBSERVATION_PLACEHOLDER, OBSERVATION_PLACEHOLDER]);
    assert.match(results[2]!, /^q\n2\n/);
    assert.match(results[3]!, /^q\n3\n/);
    // the fourth call masks the first result and the fifth the second: neither prompt extends the one before
    assert.deepEqual(output.steps.map((s) => s.violations.includes("prefix")), [false, false, false, true, true]);
    assert.ok(output.steps.every((s) => !s.violations.includes("prediction")), "masked prompts are predicted exactly too");
    assert.equal(episodeRows(output.episode, output.steps).length, 3);
    // the trajectory keeps every result in full
    const trajectory = episodeTrajectory(h.env, BOOKS_TASK, output, { file: "t.jsonl", index: 0 });
    assert.ok(trajectory.messages.filter((m) => m.role === "tool").every((m) => m.content !== OBSERVATION_PLACEHOLDER));
  } finally {
    await h.close();
    await server.close();
  }
});

test("none stops as overlong (window) when the next call would not fit, without summarizing", async () => {
  const server = await policyServer(queries(100));
  const h = await sqlHarness(server, episodeSettings({ maxTokens: 64, context: contextSettings({ kind: "none", window: 620 }) }));
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "window");
    assert.equal(output.episode.overlong_reason, "window");
    assert.ok(output.steps.every((s) => s.kind === "action" && s.prompt_tokens + 64 <= 620));
    assert.ok(output.steps.length >= 2);
    assert.equal(output.episode.counts.summaries, 0);
  } finally {
    await h.close();
    await server.close();
  }
});

test("external: a separate summarizer writes the summary; its call is recorded but not trained, and nothing is dropped", async () => {
  const server = await policyServer((body) => (String(body.messages[1]!.content).includes("We are in the following stage") ? FINAL : queries(100)(body)));
  const summarizer = await policyServer(() => ({ content: "<summary>q 0 and q 1 returned their own numbers.</summary>" }));
  const h = await sqlHarness(server, episodeSettings({ maxTokens: 64, context: contextSettings({ kind: "external", window: 560 }) }), summarizer);
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "final");
    const summary = output.steps.find((s) => s.kind === "external-summary")!;
    assert.equal(summary.trained, false);
    assert.ok(output.steps.every((s) => !s.dropped), "the external manager keeps the last pair");
    assert.equal(summarizer.requests.length, 1);
    const sent = summarizer.requests[0]!.body as ChatBody;
    assert.equal(sent.model, "summarizer");
    assert.match(String(sent.messages[1]!.content), /^Task:\nHow many books/);
    assert.ok(String(sent.messages[1]!.content).includes("Result of run_sql:"), "the summarizer sees the segment's results");
    const next = server.requests.find((r) => String((r.body as ChatBody).messages[1]!.content).includes("We are in the following stage"))!;
    assert.match(String((next.body as ChatBody).messages[1]!.content), /q 0 and q 1 returned their own numbers\.$/);
    // rows hold policy tokens only
    const rows = episodeRows(output.episode, output.steps);
    const sampled = rows.reduce((n, r) => n + r.response_mask.filter((m) => m === 1).length, 0);
    assert.equal(sampled, output.steps.filter((s) => s.trained).reduce((n, s) => n + s.completion_ids.length, 0));
    assert.equal(output.episode.counts.summary_tokens, summary.completion_tokens);
  } finally {
    await h.close();
    await server.close();
    await summarizer.close();
  }
});

test("text protocol: tools in the system prompt, calls in <tool_call> tags, results as a user message, the answer in <answer>", async () => {
  const server = await policyServer((body) =>
    turns(body) === 0
      ? { content: 'Let me count.\n<tool_call>{"name": "run_sql", "arguments": {"sql": "SELECT count(*) AS n FROM books"}}</tool_call>' }
      : { content: "```sql\nSELECT count(*) FROM books\n```\n<answer>10</answer>" },
  );
  const h = await sqlHarness(server, episodeSettings({ protocol: textProtocol }));
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "final");
    assert.equal(output.episode.final_answer, "10");
    assert.equal(output.episode.reward, 1, "the value answer matches the gold query's result");
    const first = server.requests[0]!.body as ChatBody;
    assert.equal(first.tools, undefined);
    assert.match(String(first.messages[0]!.content), /"name":"run_sql"/);
    const second = server.requests[1]!.body as ChatBody;
    assert.equal(second.messages.at(-1)!.role, "user");
    assert.equal(second.messages.at(-1)!.content, '<tool_response name="run_sql">\nn\n10\n(1 row)\n</tool_response>');
    const trajectory = episodeTrajectory(h.env, BOOKS_TASK, output, { file: "t.jsonl", index: 0 });
    assert.ok(validate(Trajectory, trajectory).ok);
    const call = trajectory.messages[2]!;
    assert.ok(call.role === "assistant" && call.tool_calls[0]!.type === "text" && call.tool_calls[0]!.name === "run_sql");
    const result = trajectory.messages[3]!;
    assert.ok(result.role === "tool" && result.source_role === "user" && result.call_id === (call.role === "assistant" ? call.tool_calls[0]!.id : ""));
  } finally {
    await h.close();
    await server.close();
  }
});

test("bad tool calls become error results the agent sees: unknown tool, arguments that are not JSON", async () => {
  const server = await policyServer((body) =>
    turns(body) === 0
      ? { content: "", tool_calls: [{ id: "a", name: "drop_everything", arguments: "{}" }, { id: "b", name: "run_sql", arguments: '{"sql": ' }] }
      : FINAL,
  );
  const h = await sqlHarness(server, episodeSettings());
  try {
    const output = await h.run(BOOKS_TASK);
    const second = server.requests[1]!.body as ChatBody;
    const results = second.messages.filter((m) => m.role === "tool");
    assert.match(String(results[0]!.content), /^unknown tool "drop_everything"; the tools are list_tables, describe_table, run_sql$/);
    assert.match(String(results[1]!.content), /^run_sql: the arguments are not valid JSON/);
    assert.equal(output.episode.counts.tool_errors, 2);
    assert.equal(output.episode.reward, 1);
  } finally {
    await h.close();
    await server.close();
  }
});
