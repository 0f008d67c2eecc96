// Server shapes the recorded replay suite (test/llm/replay) has no recording of. Each body is written
// from the server's source or documentation, as the comment beside it says.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { parseCompletion, splitHarmony, StreamAccumulator } from "../../src/llm/response.js";
import { isContextLengthError, retryAfterFromBody } from "../../src/llm/server-errors.js";
import type { RetryInfo } from "../../src/llm/types.js";
import { type Reply, startOpenAIServer } from "../../src/testing/openai-server.js";
import { failure } from "../helpers/llm.js";

const server = await startOpenAIServer();
after(() => server.close());
const ask = { model: "m", messages: [{ role: "user" as const, content: "q" }] };


// gpt-oss harmony format (openai/harmony docs): what vLLM or llama.cpp return without a reasoning parser
const HARMONY =
  "<|channel|>analysis<|message|>User asks 6×7. That is 42.<|end|><|start|>assistant<|channel|>final<|message|>6 × 7 = 42 🎉<|return|>";

test("gpt-oss harmony markup: analysis becomes the reasoning, final the content; stripped tokens too; cut-off analysis", () => {
  assert.deepEqual(splitHarmony(HARMONY), { reasoning: "User asks 6×7. That is 42.", content: "6 × 7 = 42 🎉" });
  // --skip-special-tokens servers drop the markers but keep the channel names
  assert.deepEqual(splitHarmony("analysisThe user greets.assistantfinalHello!"), { reasoning: "The user greets.", content: "Hello!" });
  // max_tokens cut the analysis: all of it is reasoning, no answer
  assert.deepEqual(splitHarmony("<|channel|>analysis<|message|>Let me think about"), { reasoning: "Let me think about", content: "" });
  // a tool preamble on the commentary channel is not the answer
  const withPreamble = "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking.<|end|><|start|>assistant<|channel|>final<|message|>Sunny.";
  assert.deepEqual(splitHarmony(withPreamble), { reasoning: "Need the weather.\n\nChecking.", content: "Sunny." });
  assert.equal(splitHarmony("The analysis shows growth; the assistant finalised it."), undefined);
  assert.equal(splitHarmony("a <|channel|> mention without a message"), undefined);
});

test("gpt-oss harmony markup streamed by the server is split the same, however it is chunked", async () => {
  const client = createClient({ endpoint: server.url, maxRetries: 0, stream: true });
  try {
    for (const chunkChars of [1, 3, 7]) {
      server.setScript(() => ({ type: "answer", content: HARMONY, chunkChars }));
      const result = await client.chat(ask);
      assert.deepEqual([result.reasoning, result.content], ["User asks 6×7. That is 42.", "6 × 7 = 42 🎉"]);
    }
    server.setScript(() => ({ type: "answer", content: HARMONY }));
    const plain = await client.chat({ ...ask, stream: false });
    assert.deepEqual([plain.reasoning, plain.content], ["User asks 6×7. That is 42.", "6 × 7 = 42 🎉"]);
  } finally {
    await client.close();
  }
});

/** Context-length refusals as each server words them (from their source). */
const CONTEXT_ERRORS: { server: string; status: number; body: string }[] = [
  {
    server: "vLLM (serving_engine.py)",
    status: 400,
    body: JSON.stringify({
      object: "error",
      message: "This model's maximum context length is 4096 tokens. However, you requested 5120 tokens (4096 in the messages, 1024 in the completion). Please reduce the length of the messages or completion.",
      type: "BadRequestError",
      param: null,
      code: 400,
    }),
  },
  {
    server: "OpenAI",
    status: 400,
    body: JSON.stringify({
      error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" },
    }),
  },
  { server: "Groq", status: 400, body: JSON.stringify({ error: { message: "Please reduce the length of the messages or completion.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } }) },
  { server: "SGLang (serving_chat.py)", status: 400, body: JSON.stringify({ object: "error", message: "The input (5000 tokens) is longer than the model's context length (4096 tokens).", type: "BadRequestError", param: null, code: 400 }) },
  {
    server: "llama.cpp (server.cpp)",
    status: 400,
    body: JSON.stringify({ error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error", n_prompt_tokens: 5000, n_ctx: 4096 } }),
  },
  { server: "Mistral", status: 400, body: JSON.stringify({ object: "error", message: "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length", type: "invalid_request_error", param: null, code: null }) },
  { server: "xAI", status: 400, body: JSON.stringify({ code: "Client specified an invalid argument", error: "This model's maximum prompt length is 131072 but the request contains 140000 tokens." }) },
  { server: "Moonshot", status: 400, body: JSON.stringify({ error: { message: "Invalid request: Your request exceeded model token limit: 131072", type: "invalid_request_error" } }) },
  { server: "TGI", status: 422, body: JSON.stringify({ error: "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`", error_type: "validation" }) },
];

test("context-length refusals get their own code, are not retried and do not count toward the circuit breaker", async () => {
  const client = createClient({ endpoint: server.url, maxRetries: 3, backoff: { baseMs: 1, maxMs: 2 }, circuitBreaker: { failures: 1, cooldownMs: 60_000 } });
  try {
    for (const refusal of CONTEXT_ERRORS) {
      const before = server.requests.length;
      server.setScript(() => ({ type: "raw", status: refusal.status, body: refusal.body }));
      const error = await failure(client.chat(ask));
      assert.equal(error.code, "context-length", refusal.server);
      assert.equal(error.status, refusal.status);
      assert.equal(server.requests.length - before, 1, `${refusal.server}: retried`);
    }
    // the breaker (1 failure opens it) stayed closed: the next call is sent
    server.setScript(() => ({ type: "answer", content: "ok" }));
    assert.equal((await client.chat(ask)).content, "ok");
  } finally {
    await client.close();
  }
});

test("other 4xx and 5xx bodies are not mistaken for context-length refusals", () => {
  const others = [
    [400, '{"error": {"message": "max_tokens is too large: 50000. This model supports at most 16384 completion tokens.", "code": "invalid_value"}}'],
    [400, '{"error": {"message": "Unsupported parameter: \'max_tokens\' is not supported with this model.", "code": "unsupported_parameter"}}'],
    [429, '{"error": {"message": "Rate limit reached for tokens per min (TPM): Limit 30000. Please try again in 6s.", "code": "rate_limit_exceeded"}}'],
    [500, '{"error": {"message": "This model\'s maximum context length is 4096 tokens (engine crashed)"}}'],
    [401, '{"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}'],
  ] as const;
  for (const [status, body] of others) assert.equal(isContextLengthError(status, body), false, body);
});

test("a context-length error event inside a stream (OpenRouter) has the code too", async () => {
  const client = createClient({ endpoint: server.url, maxRetries: 2, backoff: { baseMs: 1, maxMs: 2 }, stream: true });
  try {
    const body =
      'data: {"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n' +
      'data: {"id":"gen-1","error":{"code":400,"message":"This endpoint\'s maximum context length is 8192 tokens. However, you requested about 9000 tokens."},"object":"chat.completion.chunk","choices":[]}\n\n' +
      "data: [DONE]\n\n";
    server.setScript(() => ({ type: "raw", contentType: "text/event-stream", body }));
    const before = server.requests.length;
    const error = await failure(client.chat(ask));
    assert.equal(error.code, "context-length");
    assert.equal(server.requests.length - before, 1);
  } finally {
    await client.close();
  }
});

test("a 429 without Retry-After waits as long as its body says", async () => {
  assert.equal(retryAfterFromBody("Rate limit reached for gpt-4o. Please try again in 6s. Visit …"), 6000);
  assert.equal(retryAfterFromBody("Rate limit reached … Please try again in 1m30.5s."), 90_500);
  assert.equal(retryAfterFromBody("Please try again in 250ms."), 250);
  assert.equal(retryAfterFromBody("Requests to the ChatCompletions_Create Operation have exceeded call rate limit. Please retry after 20 seconds."), 20_000);
  assert.equal(retryAfterFromBody("Please try again in 2h1m."), 7_260_000);
  assert.equal(retryAfterFromBody("google/gemini is temporarily rate-limited upstream. Please retry shortly"), undefined);
  assert.equal(retryAfterFromBody("try again later"), undefined);

  const retries: RetryInfo[] = [];
  const client = createClient({ endpoint: server.url, maxRetries: 1, backoff: { baseMs: 1, maxMs: 1 }, onRetry: (info) => retries.push(info) });
  try {
    let calls = 0;
    server.setScript((): Reply => (calls++ === 0 ? { type: "error", status: 429, message: "Rate limit reached for tokens. Please try again in 120ms." } : { type: "answer", content: "later" }));
    const started = Date.now();
    assert.equal((await client.chat(ask)).content, "later");
    assert.equal(retries[0]!.error.retryAfterMs, 120);
    assert.ok(retries[0]!.delayMs >= 120, `waited ${retries[0]!.delayMs} ms`);
    assert.ok(Date.now() - started >= 115);
    // a Retry-After header wins over the body
    retries.length = 0;
    calls = 0;
    server.setScript((): Reply => (calls++ === 0 ? { type: "error", status: 429, retryAfter: "0", message: "Please try again in 9s." } : { type: "answer", content: "now" }));
    assert.equal((await client.chat(ask)).content, "now");
    assert.equal(retries[0]!.error.retryAfterMs, 0);
  } finally {
    await client.close();
  }
});

test("SGLang: token ids on the choice, legacy token_logprobs in stream chunks, matched_stop ignored", () => {
  // SGLang's protocol.py: ChatCompletionResponseChoice/CompletionResponseChoice carry token_ids and prompt_token_ids
  const plain = parseCompletion({
    id: "x",
    object: "chat.completion",
    model: "Qwen/Qwen3-8B",
    choices: [{ index: 0, message: { role: "assistant", content: "hi", reasoning_content: "r" }, finish_reason: "stop", matched_stop: 151645, token_ids: [9, 8], prompt_token_ids: [1, 2, 3], logprobs: { content: [{ token: "hi", bytes: [104, 105], logprob: -0.1, top_logprobs: [] }, { token: "", bytes: [], logprob: -0.2, top_logprobs: [] }] } }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, reasoning_tokens: 0 },
  });
  assert.deepEqual([plain.prompt_token_ids, plain.completion_token_ids, plain.logprobs], [[1, 2, 3], [9, 8], [-0.1, -0.2]]);
  // ChatCompletionResponseStreamChoice.logprobs is Union[LogProbs, ChoiceLogprobs]: the legacy form too
  const stream = new StreamAccumulator();
  stream.add({ model: "q", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  stream.add({ model: "q", choices: [{ index: 0, delta: { content: "a" }, logprobs: { tokens: ["a"], token_logprobs: [-0.5], text_offset: [0], top_logprobs: [] }, finish_reason: null }] });
  stream.add({ model: "q", choices: [{ index: 0, delta: { content: "b" }, logprobs: { content: [{ token: "b", bytes: [98], logprob: -0.25, top_logprobs: [] }] }, finish_reason: "stop", matched_stop: null }] });
  assert.deepEqual(stream.result().logprobs, [-0.5, -0.25]);
});

test("Mistral content parts and OpenRouter reasoning_details alone are read, plain and streamed", () => {
  const magistral = parseCompletion({
    model: "magistral-small",
    choices: [{ index: 0, message: { role: "assistant", content: [{ type: "thinking", thinking: [{ type: "text", text: "2+2 is 4." }] }, { type: "text", text: "4" }] }, finish_reason: "stop" }],
  });
  assert.deepEqual([magistral.reasoning, magistral.content], ["2+2 is 4.", "4"]);
  // a provider behind OpenRouter that sends only reasoning_details (no reasoning string)
  const details = parseCompletion({
    model: "or",
    choices: [{ index: 0, message: { role: "assistant", content: "4", reasoning_details: [{ type: "reasoning.summary", summary: "Added." }, { type: "reasoning.encrypted", data: "xyz" }] }, finish_reason: "stop" }],
  });
  assert.deepEqual([details.reasoning, details.content], ["Added.", "4"]);
  const stream = new StreamAccumulator();
  stream.add({ model: "or", choices: [{ index: 0, delta: { content: "", reasoning_details: [{ type: "reasoning.text", text: "Two " }] } }] });
  stream.add({ model: "or", choices: [{ index: 0, delta: { content: "", reasoning_details: [{ type: "reasoning.text", text: "plus two." }] } }] });
  stream.add({ model: "or", choices: [{ index: 0, delta: { content: "4" }, finish_reason: "stop" }] });
  assert.deepEqual([stream.result().reasoning, stream.result().content], ["Two plus two.", "4"]);
});
