import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { RolloutStep } from "../../src/records/rollout.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { validate } from "../../src/records/validate.js";
import { CONTINUATION, SUPO_SUMMARY_PROMPT } from "../../src/rollout/context.js";
import { episodeRows } from "../../src/rollout/rows.js";
import { episodeTrajectory } from "../../src/rollout/trajectory.js";
import type { OpenAIServer } from "../../src/testing/openai-server.js";
import type { TemplateMessage } from "../../src/tokenize/types.js";
import { BOOKS_TASK, type ChatBody, contextSettings, episodeSettings, isSummaryRequest, policyServer, qwen3, runSql, sqlHarness, turns } from "./harness.js";

const M = 64;
const SUMMARY = "Queried books several times; the catalogue has 10 books.";
let server: OpenAIServer;

/** The agent queries until the window fills; after a summary it answers. */
function script(body: ChatBody) {
  if (isSummaryRequest(body)) return { content: `<summary>${SUMMARY}</summary>` };
  if (String(body.messages[1]!.content).includes("We are in the following stage")) return { content: "```sql\nSELECT count(*) FROM books\n```\nThere are 10 books." };
  return runSql(`SELECT ${turns(body)} AS step, title FROM books LIMIT ${turns(body) + 1}`, `call_${turns(body)}`);
}

before(async () => {
  server = await policyServer(script);
});
after(() => server.close());

/** A window whose SUPO limit floor(0.95 × W) is exactly `limit`. */
function windowFor(limit: number): number {
  let window = Math.ceil(limit / 0.95);
  while (Math.floor(0.95 * window) < limit) window++;
  assert.equal(Math.floor(0.95 * window), limit, "every integer is some floor(0.95 × W)");
  return window;
}

async function runWith(window: number, maxSteps = 30) {
  const h = await sqlHarness(server, episodeSettings({ maxTokens: M, maxSteps, context: contextSettings({ window, summaryMaxTokens: 48 }) }));
  try {
    const first = server.requests.length;
    const output = await h.run(BOOKS_TASK);
    return { output, requests: server.requests.slice(first).map((r) => r.body as ChatBody), env: h.env };
  } finally {
    await h.close();
  }
}

/** Prompt lengths of the first actions when nothing stops the agent but the step cap. */
async function promptLengths(): Promise<number[]> {
  const { output } = await runWith(100_000, 4);
  assert.equal(output.episode.stop_reason, "step-cap");
  return output.steps.map((s) => s.prompt_tokens);
}

const kinds = (steps: RolloutStep[]) => steps.map((s) => (s.dropped ? `${s.kind}(dropped)` : s.kind));
const roles = (body: ChatBody) => body.messages.map((m) => m.role);

test("SUPO summarizes exactly when prompt + max tokens would pass floor(0.95 × W): one token more room and the same step is an action", async () => {
  const lengths = await promptLengths();
  const limit = lengths[2]! + M;

  // limit = p2 + M: the third action fits exactly; the fourth would not, so it is the third pair that is dropped
  const fits = await runWith(windowFor(limit));
  assert.deepEqual(kinds(fits.output.steps), ["action", "action", "action(dropped)", "summary", "action"]);
  assert.equal(fits.output.steps[2]!.prompt_tokens + M, limit, "the last action before the summary used the window up to the token");
  assert.equal(fits.output.episode.stop_reason, "final");
  assert.equal(fits.output.episode.reward, 1);

  // one token less: the third action no longer fits, so the summary comes one step earlier
  const tight = await runWith(windowFor(limit - 1));
  assert.deepEqual(kinds(tight.output.steps), ["action", "action(dropped)", "summary", "action"]);

  for (const run of [fits, tight]) {
    for (const step of run.output.steps) {
      assert.equal(step.predicted_prompt_tokens, step.prompt_tokens, "the prediction is the server's count, token for token");
      assert.deepEqual(step.violations, []);
    }
  }
});

test("the last (action, observation) pair is dropped before the summary request, and the next segment starts from [system, task + summary]", async () => {
  const lengths = await promptLengths();
  const window = windowFor(lengths[2]! + M);
  const { output, requests, env } = await runWith(window);
  const summaryRequest = requests[3]!;
  assert.ok(isSummaryRequest(summaryRequest));
  // the third action and its result are gone; the first two pairs stay; the request asks for the summary as a user turn
  assert.deepEqual(roles(summaryRequest), ["system", "user", "assistant", "tool", "assistant", "tool", "user"]);
  assert.deepEqual(summaryRequest.messages.slice(0, 6), requests[2]!.messages, "the summary request extends the dropped action's own prompt");
  assert.equal(summaryRequest.messages[6]!.content, SUPO_SUMMARY_PROMPT);
  // the summary may use the window up to W, never past it
  const summaryStep = output.steps[3]!;
  assert.equal(summaryStep.max_tokens, Math.min(48, window - summaryStep.prompt_tokens));
  assert.ok(summaryStep.prompt_tokens + summaryStep.max_tokens <= window);

  const next = requests[4]!;
  assert.deepEqual(roles(next), ["system", "user"]);
  assert.equal(next.messages[0]!.content, requests[0]!.messages[0]!.content);
  assert.equal(next.messages[1]!.content, BOOKS_TASK.question + CONTINUATION.replace("{summary}", SUMMARY));

  const [first, second] = output.episode.segments;
  assert.deepEqual([first!.start, first!.end, first!.first_step, first!.steps, first!.summary], ["task", "summary", 0, 4, SUMMARY]);
  assert.deepEqual([second!.start, second!.end, second!.first_step, second!.steps], ["summary", "final", 4, 1]);
  assert.equal(first!.summary_tokens, summaryStep.completion_ids.length);
  assert.equal(output.episode.counts.summaries, 1);

  // the environment ran the dropped action: the trajectory keeps it, out of context, and marks the summary
  const trajectory = episodeTrajectory(env, BOOKS_TASK, output, { file: "t.jsonl", index: 0 });
  assert.ok(validate(Trajectory, trajectory).ok);
  const results = trajectory.messages.filter((m) => m.role === "tool");
  assert.equal(results.length, 3, "all three queries ran");
  assert.ok(results.every((m) => m.in_context === false));
  assert.match(results[2]!.content, /^step \| title\n2 \| /);
  const event = trajectory.events[0]!;
  assert.equal(event.kind, "summary");
  assert.equal(event.summary, SUMMARY);
  assert.equal(trajectory.messages[event.message_index]!.content, next.messages[1]!.content, "the event sits at the next segment's first message");
  assert.equal(trajectory.messages.at(-1)!.in_context, undefined);
});

test("rows: one per segment, prompt + response equal to the server's ids of the row's last call, mask 1 exactly on sampled tokens", async () => {
  const tokenizer = await qwen3();
  const lengths = await promptLengths();
  const { output, requests } = await runWith(windowFor(lengths[2]! + M));
  const episode = { ...output.episode, advantage: 0.5 };
  const rows = episodeRows(episode, output.steps);
  assert.equal(rows.length, 2);
  const render = (body: ChatBody) => tokenizer.encode(tokenizer.applyChatTemplate(body.messages as TemplateMessage[], { addGenerationPrompt: true, tools: body.tools! }));

  // segment 0: actions 0 and 1, then the summary; the dropped action 2 is not in it
  const [row0, row1] = rows;
  const steps = output.steps;
  assert.deepEqual(row0!.prompt_ids, render(requests[0]!));
  assert.deepEqual([...row0!.prompt_ids, ...row0!.response_ids], [...render(requests[3]!), ...steps[3]!.completion_ids]);
  const sampled = [steps[0]!, steps[1]!, steps[3]!];
  assert.equal(row0!.response_mask.filter((m) => m === 1).length, sampled.reduce((n, s) => n + s.completion_ids.length, 0));
  // the runs of mask 1 are the completions, in order, with their logprobs
  let at = 0;
  for (const step of sampled) {
    while (row0!.response_mask[at] === 0) {
      assert.equal(row0!.response_logprobs![at], 0);
      at++;
    }
    assert.deepEqual(row0!.response_ids.slice(at, at + step.completion_ids.length), step.completion_ids);
    assert.deepEqual(row0!.response_logprobs!.slice(at, at + step.completion_ids.length), step.logprobs);
    assert.ok(row0!.response_mask.slice(at, at + step.completion_ids.length).every((m) => m === 1));
    at += step.completion_ids.length;
  }
  assert.equal(at, row0!.response_ids.length, "the row ends with the summary's completion");
  assert.equal(row0!.num_turns, 3);

  assert.deepEqual(row1!.prompt_ids, render(requests[4]!));
  assert.deepEqual(row1!.response_ids, steps[4]!.completion_ids);
  for (const row of rows) {
    assert.equal(row.advantage, 0.5, "the episode's advantage is broadcast to every row");
    assert.equal(row.reward, 1);
    assert.equal(row.uid, BOOKS_TASK.id);
    assert.equal(row.token_source, "server");
  }
  assert.deepEqual(rows.map((r) => r.is_final_row), [false, true]);
});

test("the summary cap stops an episode that fills its window again; the step cap counts summary calls", async () => {
  const lengths = await promptLengths();
  const settings = (maxSummaries: number, maxSteps: number) =>
    episodeSettings({ maxTokens: M, maxSteps, context: contextSettings({ window: windowFor(lengths[1]! + M), maxSummaries, summaryMaxTokens: 48 }) });
  // after a summary this agent only queries, so every segment fills again
  const noAnswer = await policyServer((body) => (isSummaryRequest(body) ? { content: `<summary>${SUMMARY}</summary>` } : runSql("SELECT 1", `call_${turns(body)}`)));
  try {
    const capped = await sqlHarness(noAnswer, settings(1, 30));
    const summaryCap = await capped.run(BOOKS_TASK);
    await capped.close();
    assert.equal(summaryCap.episode.stop_reason, "summary-cap");
    assert.equal(summaryCap.episode.overlong_reason, "summary-cap");
    assert.equal(summaryCap.episode.counts.summaries, 1);
    assert.equal(summaryCap.episode.in_loss, false);
    assert.equal(summaryCap.episode.in_baseline, true);
    assert.equal(summaryCap.episode.reward, 0);

    const stepped = await sqlHarness(noAnswer, settings(5, 4));
    const stepCap = await stepped.run(BOOKS_TASK);
    await stepped.close();
    assert.equal(stepCap.episode.stop_reason, "step-cap");
    assert.equal(stepCap.steps.filter((s) => s.kind !== "external-summary").length, 4, "four LLM calls, summaries included");
    assert.ok(stepCap.steps.some((s) => s.kind === "summary"));
    for (const row of episodeRows(stepCap.episode, stepCap.steps)) assert.ok(row.response_mask.every((m) => m === 0), "overlong rows are out of the loss");
  } finally {
    await noAnswer.close();
  }
});
