import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { episodeRows } from "../../src/rollout/rows.js";
import { InvariantError, Policy } from "../../src/rollout/policy.js";
import { ChatTemplateText } from "../../src/rollout/template.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { withTokenIds } from "../../src/testing/token-ids.js";
import type { TemplateMessage } from "../../src/tokenize/types.js";
import { BOOKS_TASK, type ChatBody, episodeSettings, policyServer, qwen3, runSql, sqlHarness, turns } from "./harness.js";

const FINAL = { content: "```sql\nSELECT count(*) FROM books\n```\n10" };

/** Two queries, then the answer; `tweak` changes the reply to the request with that index. */
function twoQueries() {
  return (body: ChatBody, _index: number) => (turns(body) < 2 ? runSql("SELECT count(*) FROM books", `call_${turns(body)}`) : FINAL);
}

test("logprobs that do not match the completion ids end the episode as an error: out of the loss and of the baseline", async () => {
  const ids = withTokenIds(await qwen3());
  // the second answer has one logprob for a completion of many tokens
  const server = await startOpenAIServer((request, index) => {
    const body = request.body as ChatBody;
    const answer = ids(body, { type: "answer", ...twoQueries()(body, index) });
    return index === 1 ? { ...answer, logprobs: [-0.5] } : answer;
  });
  const h = await sqlHarness(server, episodeSettings());
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "error");
    assert.match(output.episode.error!, /step 1: 1 logprobs for \d+ completion tokens/);
    assert.equal(output.episode.in_baseline, false);
    assert.equal(output.episode.in_loss, false);
    assert.equal(output.steps.length, 1, "the bad step is not recorded as trainable data");
  } finally {
    await h.close();
    await server.close();
  }
});

test("an empty completion is an error, never a zero-token row", async () => {
  const server = await startOpenAIServer(() => ({ type: "answer", ...runSql("SELECT 1"), prompt_token_ids: [1, 2, 3], completion_token_ids: [], logprobs: [] }));
  const h = await sqlHarness(server, episodeSettings());
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "error");
    assert.match(output.episode.error!, /step 0: the server returned an empty completion/);
    assert.deepEqual(episodeRows(output.episode, output.steps), []);
  } finally {
    await h.close();
    await server.close();
  }
});

test("a reply cut at max tokens is recorded as finish_reason length, counted, and answered with a correction, not taken as an answer", async () => {
  const server = await policyServer((body, index) => {
    if (index === 0) return { content: "There are", finish_reason: "length" };
    if (turns(body) < 2) return runSql("SELECT count(*) FROM books", "call_1");
    return FINAL;
  });
  const h = await sqlHarness(server, episodeSettings());
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.steps[0]!.finish_reason, "length");
    assert.equal(output.episode.counts.truncated_steps, 1);
    assert.equal(output.episode.counts.format_errors, 1);
    assert.equal(output.episode.stop_reason, "final");
    const second = server.requests[1]!.body as ChatBody;
    assert.equal(second.messages.at(-2)!.content, "There are");
    assert.match(String(second.messages.at(-1)!.content), /cut off at the token limit/);
    // a cut completion has no end-of-turn token: the next prompt adds it, and the prediction still matches
    assert.ok(output.steps.every((s) => s.violations.length === 0));
  } finally {
    await h.close();
    await server.close();
  }
});

test("a prompt that does not extend the previous prompt and completion is flagged and starts a new row; a prediction miss is flagged", async () => {
  const ids = withTokenIds(await qwen3());
  // the server puts one more token in front of the third prompt (as a template that rewrites history would)
  const server = await startOpenAIServer((request, index) => {
    const body = request.body as ChatBody;
    const answer = ids(body, { type: "answer", ...twoQueries()(body, index) });
    return index === 2 ? { ...answer, prompt_token_ids: [151643, ...answer.prompt_token_ids!] } : answer;
  });
  const h = await sqlHarness(server, episodeSettings());
  try {
    const output = await h.run(BOOKS_TASK);
    assert.deepEqual(output.steps.map((s) => s.violations), [[], [], ["prediction", "prefix"]]);
    assert.deepEqual(output.steps.map((s) => s.prompt_delta), [false, true, false]);
    assert.equal(output.episode.counts.prefix_breaks, 1);
    assert.equal(output.episode.counts.prediction_misses, 1);
    const rows = episodeRows(output.episode, output.steps);
    assert.equal(rows.length, 2, "the break starts a second row in the same segment");
    assert.equal(rows[0]!.num_turns, 2);
    assert.deepEqual(rows[1]!.prompt_ids, output.steps[2]!.prompt_ids);
    assert.equal(rows[1]!.prompt_ids[0], 151643);
  } finally {
    await h.close();
    await server.close();
  }
});

test("prompt + max tokens over the window is refused before sending", async () => {
  const tokenizer = await qwen3();
  const server = await startOpenAIServer();
  const client = createClient({ endpoint: server.url });
  try {
    const policy = new Policy(client, episodeSettings(), tokenizer, new ChatTemplateText(tokenizer, {}), [], 1000);
    await assert.rejects(
      policy.call({ view: [{ role: "user", content: "hi" }], predicted: new Array(990).fill(1), maxTokens: 64, kind: "action", kept: undefined, step: 0 }, 1),
      (error: Error) => error instanceof InvariantError && /990 tokens with max_tokens 64 would pass the window of 1000/.test(error.message),
    );
    assert.equal(server.requests.length, 0, "nothing was sent");
  } finally {
    await client.close();
    await server.close();
  }
});

test("without server token ids: ids come from the tokenizer and chat template, the server's usage count is checked, logprobs are not used", async () => {
  const tokenizer = await qwen3();
  const server = await policyServer(twoQueries());
  const h = await sqlHarness(server, episodeSettings({ tokenIds: false }));
  try {
    const output = await h.run(BOOKS_TASK);
    assert.equal(output.episode.stop_reason, "final");
    const requests = server.requests.map((r) => r.body as ChatBody);
    assert.ok(requests.every((b) => b.return_token_ids === undefined && !("logprobs" in b)));
    let prompt: number[] = [];
    output.steps.forEach((step, i) => {
      assert.equal(step.token_source, "tokenizer");
      assert.equal(step.logprobs, null);
      assert.deepEqual(step.violations, [], "the server's usage.prompt_tokens equals the prediction");
      const full = tokenizer.encode(tokenizer.applyChatTemplate(requests[i]!.messages as TemplateMessage[], { addGenerationPrompt: true, tools: requests[i]!.tools! }));
      const rebuilt = step.prompt_delta ? [...prompt, ...step.prompt_ids] : step.prompt_ids;
      assert.deepEqual(rebuilt, full, `step ${i}: the recorded prompt is the rendered prompt`);
      prompt = [...rebuilt, ...step.completion_ids];
    });
    assert.equal(episodeRows(output.episode, output.steps)[0]!.response_logprobs, null);
  } finally {
    await h.close();
    await server.close();
  }
});
