import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCompletion, ResponseShapeError, StreamAccumulator, splitThink } from "../../src/llm/response.js";
import { type FinishReason, mapFinishReason } from "../../src/llm/finish-reason.js";

const completion = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: "c",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop", ...extra }],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 3 } },
});

test("reasoning comes from reasoning_content, vLLM's reasoning, or <think> tags in the content", () => {
  assert.equal(parseCompletion(completion({ content: "A", reasoning_content: "R1" })).reasoning, "R1");
  assert.equal(parseCompletion(completion({ content: "A", reasoning: "R2" })).reasoning, "R2");
  assert.equal(parseCompletion(completion({ content: "A", reasoning: "same", reasoning_content: "same" })).reasoning, "same");
  const tagged = parseCompletion(completion({ content: "<think>\nstep 1\n</think>\n\nThe answer is 4." }));
  assert.deepEqual([tagged.reasoning, tagged.content], ["step 1", "The answer is 4."]);
  const noReasoning = parseCompletion(completion({ content: "plain <think> in the middle" }));
  assert.deepEqual([noReasoning.reasoning, noReasoning.content], [null, "plain <think> in the middle"]);
  assert.equal(parseCompletion(completion({ content: "A", reasoning_content: "" })).reasoning, null);
});

test("splitThink: leading tag, template-opened tag (R1 form), unclosed tag, no tag", () => {
  assert.deepEqual(splitThink("  <think>a</think>b"), { reasoning: "a", content: "b" });
  assert.deepEqual(splitThink("thinking...\n</think>\n\nfinal"), { reasoning: "thinking...", content: "final" });
  assert.deepEqual(splitThink("<think>cut off by max_tokens"), { reasoning: "cut off by max_tokens", content: "" });
  assert.deepEqual(splitThink("just text"), { reasoning: null, content: "just text" });
  assert.deepEqual(splitThink(null), { reasoning: null, content: null });
});

test("parseCompletion: tool calls with raw argument strings, usage with reasoning tokens, vLLM token ids, logprobs", () => {
  const body = completion(
    { content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "search", arguments: '{"q": "x" }' } }] },
    { token_ids: [4, 5, 6], logprobs: { content: [{ token: "a", logprob: -0.5 }, { token: "b", logprob: -1.25 }] } },
  );
  Object.assign(body, { prompt_token_ids: [1, 2] });
  const parsed = parseCompletion(body);
  assert.deepEqual(parsed.tool_calls, [{ id: "call_a", name: "search", arguments: '{"q": "x" }' }]);
  assert.equal(parsed.content, null);
  assert.deepEqual(parsed.usage, { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, reasoning_tokens: 3 });
  assert.deepEqual(parsed.prompt_token_ids, [1, 2]);
  assert.deepEqual(parsed.completion_token_ids, [4, 5, 6]);
  assert.deepEqual(parsed.logprobs, [-0.5, -1.25]);
  assert.equal(parsed.model, "m");
});

test("parseCompletion: bodies without choices or message are shape errors that say what is missing", () => {
  assert.throws(() => parseCompletion({ id: "x" }), (e: Error) => e instanceof ResponseShapeError && /no choices/.test(e.message));
  assert.throws(() => parseCompletion({ choices: [] }), /choices is empty/);
  assert.throws(() => parseCompletion({ choices: [{ index: 0 }] }), /message is missing/);
  assert.throws(() => parseCompletion([1]), /not a JSON object/);
  assert.throws(() => parseCompletion({ error: { message: "model overloaded" } }), /model overloaded/);
});

test("stream accumulator: reasoning fields, interleaved tool-call deltas by index, token ids, logprobs, usage chunk", () => {
  const acc = new StreamAccumulator();
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ model: "m", choices: [{ index: 0, delta, ...extra }] });
  acc.add({ ...chunk({ role: "assistant", content: "" }), prompt_token_ids: [1, 2, 3] });
  acc.add(chunk({ reasoning: "let me " }));
  acc.add(chunk({ reasoning: "see" }));
  acc.add(chunk({ content: "Calling" }, { token_ids: [10], logprobs: { content: [{ logprob: -1 }] } }));
  acc.add(chunk({ tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "two", arguments: "" } }] }));
  acc.add(chunk({ tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "one", arguments: '{"x"' } }] }));
  acc.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '{"y": 2}' } }] }));
  acc.add(chunk({ tool_calls: [{ index: 0, function: { arguments: ": 1}" } }] }, { token_ids: [11, 12] }));
  assert.equal(acc.finished, false);
  acc.add(chunk({}, { finish_reason: "tool_calls" }));
  acc.add({ model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 } });
  assert.equal(acc.finished, true);
  assert.deepEqual(acc.result(), {
    content: "Calling",
    reasoning: "let me see",
    tool_calls: [
      { id: "a", name: "one", arguments: '{"x": 1}' },
      { id: "b", name: "two", arguments: '{"y": 2}' },
    ],
    finish_reason: "tool_calls",
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
    model: "m",
    prompt_token_ids: [1, 2, 3],
    completion_token_ids: [10, 11, 12],
    logprobs: [-1],
  });
});

test("stream accumulator: <think> in streamed content, both reasoning fields sent at once, error events", () => {
  const tagged = new StreamAccumulator();
  for (const piece of ["<thi", "nk>abc</th", "ink>", "done"]) tagged.add({ choices: [{ index: 0, delta: { content: piece } }] });
  assert.deepEqual([tagged.result().reasoning, tagged.result().content], ["abc", "done"]);
  const both = new StreamAccumulator();
  for (const piece of ["x", "y"]) both.add({ choices: [{ index: 0, delta: { reasoning_content: piece, reasoning: piece } }] });
  assert.equal(both.result().reasoning, "xy", "the same text in two fields is kept once");
  assert.equal(both.result().content, null);
  assert.throws(() => new StreamAccumulator().add({ error: { message: "overloaded" } }), /error event in stream: overloaded/);
  assert.throws(() => new StreamAccumulator().add({ id: "x" }), /no choices array/);
});

test("finish reasons: each server's spelling maps to one word of acc's vocabulary; an unknown one is other", () => {
  const cases: [string | null, FinishReason | null][] = [
    ["stop", "stop"], ["end_turn", "stop"], ["STOP", "stop"],
    ["length", "length"], ["max_tokens", "length"], ["MAX_TOKENS", "length"],
    ["tool_calls", "tool-calls"], ["function_call", "tool-calls"], ["tool_use", "tool-calls"],
    ["content_filter", "content-filter"], ["SAFETY", "content-filter"],
    ["abort", "error"], ["error", "error"],
    ["recitation", "other"], [null, null],
  ];
  for (const [raw, mapped] of cases) assert.equal(mapFinishReason(raw), mapped, String(raw));
});
