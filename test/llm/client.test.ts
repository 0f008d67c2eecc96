import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { renderError } from "../../src/cli/errors.js";
import { createClient } from "../../src/llm/client.js";
import { type ChatRequest, type ChatResult, type ClientOptions } from "../../src/llm/types.js";
import { type Answer, type Reply, startOpenAIServer } from "../../src/testing/openai-server.js";
import { tempDir } from "../helpers/collect.js";
import { failure } from "../helpers/llm.js";

const fast = { backoff: { baseMs: 5, maxMs: 20 } };
const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function setup(script: (index: number, body: Record<string, unknown>) => Reply, options: Partial<ClientOptions> = {}) {
  const server = await startOpenAIServer((request, index) => script(index, request.body as Record<string, unknown>));
  const client = createClient({ endpoint: server.url, ...fast, ...options });
  cleanups.push(() => client.close(), () => server.close());
  return { server, client };
}

const ask = (content = "hello there", extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: "m", messages: [{ role: "user", content }], ...extra });
const answer = (fields: Omit<Answer, "type"> = {}): Answer => ({ type: "answer", content: "fine", ...fields });


test("plain chat: bearer key, extra_body merged into the body, result fields, stats", async () => {
  const { server, client } = await setup(() => answer({ reasoning: "r", prompt_token_ids: [1, 2] }), { apiKey: "sk-abc" });
  const result = await client.chat(ask("hi", { temperature: 0.5, extra_body: { top_k: 20, chat_template_kwargs: { enable_thinking: true } } }));
  assert.equal(server.requests[0]!.headers["authorization"], "Bearer sk-abc");
  assert.deepEqual(server.requests[0]!.body, {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    temperature: 0.5,
    top_k: 20,
    chat_template_kwargs: { enable_thinking: true },
  });
  assert.equal(result.content, "fine");
  assert.equal(result.reasoning, "r");
  assert.equal(result.finish_reason, "stop");
  assert.deepEqual(result.usage, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
  assert.deepEqual(result.prompt_token_ids, [1, 2]);
  assert.equal(result.model, "m");
  assert.deepEqual([result.cached, result.attempts], [false, 1]);
  assert.equal((result.raw as { id: string }).id, "chatcmpl-0");
  assert.deepEqual(client.stats(), { requests: 1, cache_hits: 0, retries: 0, failures: 0, prompt_tokens: 1, completion_tokens: 2 });
});

test("a burst of 429s and 5xx is retried until the answer, reporting each retry", async () => {
  const statuses = [429, 429, 500, 503, 502];
  const retries: string[] = [];
  const { server, client } = await setup((i) => (i < statuses.length ? { type: "error", status: statuses[i]! } : answer()), {
    onRetry: (info) => retries.push(`${info.attempt}:${info.error.status}`),
  });
  const result = await client.chat(ask());
  assert.equal(result.attempts, 6);
  assert.equal(server.requests.length, 6);
  assert.deepEqual(retries, ["1:429", "2:429", "3:500", "4:503", "5:502"]);
  assert.equal(client.stats().retries, 5);
});

test("Retry-After (seconds) is honoured: the retry waits at least that long", async () => {
  const { server, client } = await setup((i) => (i === 0 ? { type: "error", status: 429, retryAfter: "1" } : answer()));
  const started = performance.now();
  await client.chat(ask());
  assert.ok(performance.now() - started >= 1000, `waited only ${performance.now() - started} ms`);
  assert.equal(server.requests.length, 2);
});

test("4xx other than 408/409/429 fail at once with the status and the server's message; 408 and 409 are retried", async () => {
  const { server, client } = await setup((i) => (i === 0 ? { type: "error", status: 400, message: "bad max_tokens" } : i < 3 ? { type: "error", status: [408, 409][i - 1]! } : answer()));
  const error = await failure(client.chat(ask()));
  assert.equal(error.code, "http");
  assert.equal(error.status, 400);
  assert.equal(error.attempt, 1);
  assert.match(error.message, /HTTP 400: bad max_tokens \(http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions, attempt 1\)/);
  assert.equal(server.requests.length, 1);
  assert.equal((await client.chat(ask())).attempts, 3);
  assert.equal(client.stats().failures, 1);
});

test("giving up after maxRetries reports the last attempt", async () => {
  const { server, client } = await setup(() => ({ type: "error", status: 503 }), { maxRetries: 2, circuitBreaker: false });
  const error = await failure(client.chat(ask()));
  assert.deepEqual([error.code, error.status, error.attempt], ["http", 503, 3]);
  assert.equal(server.requests.length, 3);
});

test("a hang past the timeout is abandoned and retried; repeated hangs end in a timeout error", async () => {
  const { server, client } = await setup((i) => (i === 0 || i >= 2 ? { type: "hang" } : answer()), { timeoutMs: 250, maxRetries: 1 });
  const started = performance.now();
  assert.equal((await client.chat(ask())).attempts, 2);
  assert.ok(performance.now() - started >= 250);
  const error = await failure(client.chat(ask()));
  assert.deepEqual([error.code, error.attempt], ["timeout", 2]);
  assert.match(error.message, /no response for 250 ms/);
  assert.equal(server.requests.length, 4);
});

test("a stream that goes silent for the timeout is abandoned and retried", async () => {
  const { server, client } = await setup((i) => (i === 0 ? { type: "truncate", chunks: 2, after: "hang" } : answer()), { timeoutMs: 250, stream: true });
  const result = await client.chat(ask());
  assert.deepEqual([result.content, result.attempts], ["fine", 2]);
  const again = await setup(() => ({ type: "truncate", chunks: 2, after: "hang" }), { timeoutMs: 250, stream: true, maxRetries: 0 });
  const error = await failure(again.client.chat(ask()));
  assert.equal(error.code, "timeout");
  assert.match(error.message, /the response went silent for 250 ms/);
  assert.equal(server.requests.length, 2);
});

test("connection resets are retried as network errors", async () => {
  const { server, client } = await setup((i) => (i < 2 || i === 3 ? { type: "reset" } : answer()), { maxRetries: 2 });
  assert.equal((await client.chat(ask())).attempts, 3);
  const again = await setup(() => ({ type: "reset" }), { maxRetries: 0 });
  const error = await failure(again.client.chat(ask()));
  assert.equal(error.code, "network");
  assert.match(error.message, /ECONNRESET/);
  assert.equal(server.requests.length, 3);
});

test("truncated bodies and streams are retried; with no retries left the error says what happened", async () => {
  for (const stream of [false, true]) {
    const { server, client } = await setup((i) => (i === 0 ? { type: "truncate", chunks: 3, answer: { content: "a longer answer" } } : answer()), { stream });
    const result = await client.chat(ask());
    assert.deepEqual([result.content, result.attempts], ["fine", 2], `stream=${stream}`);
    assert.equal(server.requests.length, 2);
    const once = await setup(() => ({ type: "truncate", chunks: 3 }), { stream, maxRetries: 0 });
    const error = await failure(once.client.chat(ask()));
    assert.equal(error.code, "network", `stream=${stream}`);
    assert.match(error.message, /^connection failed: .*other side closed .*attempt 1\)$/);
  }
});

test("a body or stream that ends cleanly but early is malformed, not a short answer", async () => {
  const { client } = await setup(() => ({ type: "truncate", chunks: 3, after: "end", answer: { content: "a longer answer" } }), { maxRetries: 0 });
  const cut = await failure(client.chat(ask()));
  assert.equal(cut.code, "malformed");
  assert.match(cut.message, /invalid JSON body/);
  const streamCut = await failure(client.chat(ask("q", { stream: true })));
  assert.equal(streamCut.code, "malformed");
  assert.match(streamCut.message, /stream ended after 3 events without a finish reason or \[DONE\]/);
});

test("malformed bodies (invalid JSON, no choices) are LlmError 'malformed' with URL and attempt, and are retried", async () => {
  const { server, client } = await setup((i) => (i === 0 ? { type: "malformed", body: "invalid-json" } : i === 1 ? { type: "malformed", body: "no-choices" } : answer()));
  assert.equal((await client.chat(ask())).attempts, 3);
  assert.equal(server.requests.length, 3);
  for (const body of ["invalid-json", "no-choices"] as const) {
    const once = await setup(() => ({ type: "malformed", body }), { maxRetries: 1 });
    const error = await failure(once.client.chat(ask()));
    assert.equal(error.code, "malformed");
    assert.equal(error.attempt, 2);
    assert.ok(error.url.endsWith("/v1/chat/completions"));
    assert.match(error.message, body === "invalid-json" ? /invalid JSON body: .*\(http:.*attempt 2\)/ : /no choices array .*attempt 2\)/);
  }
});

test("an LlmError keeps what caused it (the socket error, the JSON error), with the key redacted from the cause as from the message", async () => {
  const reset = await setup(() => ({ type: "reset" }), { maxRetries: 0 });
  const network = await failure(reset.client.chat(ask()));
  assert.equal(network.code, "network");
  assert.match(String((network.cause as { code?: string }).code), /^UND_ERR_SOCKET|ECONNRESET$/);
  // short enough that V8's JSON error quotes all of it
  const key = "sk-k3y";
  const { client } = await setup(() => ({ type: "raw", contentType: "application/json", body: `${key} echoed` }), { maxRetries: 0, apiKey: key });
  const error = await failure(client.chat(ask()));
  assert.equal(error.code, "malformed");
  const cause = error.cause as Error;
  assert.equal(cause.name, "SyntaxError");
  const { text } = renderError(error, "teach", true);
  assert.match(text, /caused by: SyntaxError: Unexpected token 's', "\[redacted\] echoed" is not valid JSON/);
  assert.ok(!text.includes(key), "the --debug rendering (message, stacks, causes) never holds the key");
});

test("circuit breaker: opens after consecutive failures, fails fast without a request, half-opens after the cooldown", async () => {
  let healthy = false;
  const { server, client } = await setup(() => (healthy ? answer({ delayMs: 50 }) : { type: "error", status: 500 }), {
    maxRetries: 0,
    circuitBreaker: { failures: 3, cooldownMs: 300 },
  });
  for (let i = 0; i < 3; i++) assert.equal((await failure(client.chat(ask()))).code, "http");
  const open = await failure(client.chat(ask()));
  assert.equal(open.code, "circuit-open");
  assert.equal(server.requests.length, 3, "no request while open");
  await new Promise((resolve) => setTimeout(resolve, 310));
  healthy = true;
  const probe = client.chat(ask());
  assert.equal((await failure(client.chat(ask()))).code, "circuit-open", "only one probe while half-open");
  assert.equal((await probe).content, "fine");
  assert.equal((await client.chat(ask())).content, "fine", "closed again after a successful probe");
  assert.equal(server.requests.length, 5);
});

test("cache: a repeated or resumed run never sends a request twice; failures are not cached", async () => {
  const cacheDir = tempDir();
  const { server, client } = await setup((_i, body) => (JSON.stringify(body).includes("fail") ? { type: "error", status: 400 } : answer({ content: `answer ${server.requests.length}` })), {
    cacheDir,
  });
  const first = await Promise.all([1, 2, 3].map((n) => client.chat(ask(`q${n}`))));
  const again = await client.chat(ask("q2"));
  assert.deepEqual([again.content, again.cached, again.attempts], [first[1]!.content, true, 0]);
  assert.deepEqual({ ...again, cached: false, attempts: 1 }, first[1]);
  assert.equal((await client.chat(ask("q2", { stream: true }))).cached, true, "streaming the same request hits the same entry");
  await failure(client.chat(ask("fail")));
  await failure(client.chat(ask("fail")));
  assert.equal(server.requests.length, 5);
  const resumed = createClient({ endpoint: server.url, cacheDir });
  cleanups.push(() => resumed.close());
  const results = await Promise.all([1, 2, 3, 4].map((n) => resumed.chat(ask(`q${n}`))));
  assert.deepEqual(results.map((r) => r.cached), [true, true, true, false]);
  assert.equal(server.requests.length, 6, "the resumed run paid only for the new request");
  assert.deepEqual(resumed.stats(), { requests: 1, cache_hits: 3, retries: 0, failures: 0, prompt_tokens: 1, completion_tokens: 2 });
  const files = readdirSync(cacheDir);
  assert.ok(files.every((f) => f.endsWith(".jsonl") && !f.startsWith(".")), "no temporary files left");
  const entries = files.flatMap((f) => readFileSync(join(cacheDir, f), "utf8").split("\n").filter(Boolean));
  assert.equal(entries.length, 4, "one entry per distinct successful request");
});

test("cache: the reply is stored as received and a resumed run reads it back field for field, a pretty-printed reply (line breaks between its tokens) on one line", async () => {
  const cacheDir = tempDir();
  const reply = { id: "c1", object: "chat.completion", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "fine", reasoning_content: "because" }, finish_reason: "stop", token_ids: [7, 8] }], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }, prompt_token_ids: [1, 2] };
  const compact = JSON.stringify(reply);
  const pretty = JSON.stringify({ ...reply, id: "c2" }, null, 2);
  const { server, client } = await setup((_i, body) => ({ type: "raw", contentType: "application/json", body: JSON.stringify(body).includes("pretty") ? pretty : compact }), { cacheDir });
  // an answer reaches the caller once its entry is written
  const first = await Promise.all([client.chat(ask("compact")), client.chat(ask("pretty"))]);
  const entries = readdirSync(cacheDir).flatMap((f) => readFileSync(join(cacheDir, f), "utf8").split("\n").filter(Boolean));
  assert.equal(entries.length, 2);
  assert.ok(entries.some((line) => line.endsWith(`"reply":${compact}}`)), "the compact reply's bytes, as received");
  assert.ok(entries.some((line) => line.endsWith(`"reply":${JSON.stringify(JSON.parse(pretty))}}`)), "the pretty one serialised again, on one line");
  const resumed = createClient({ endpoint: server.url, cacheDir });
  cleanups.push(() => resumed.close());
  const again = await Promise.all([resumed.chat(ask("compact")), resumed.chat(ask("pretty"))]);
  assert.equal(server.requests.length, 2, "both answers came from the cache");
  assert.deepEqual(again.map((r) => ({ ...r, cached: false, attempts: 1 })), first);
  assert.deepEqual([first[0]!.reasoning, first[0]!.prompt_token_ids, first[0]!.completion_token_ids], ["because", [1, 2], [7, 8]]);
});

test("cache: identical requests in flight at once are sent once; a leader's abort does not fail its followers", async () => {
  const { server, client } = await setup(() => answer({ delayMs: 30 }), { cacheDir: tempDir() });
  const results = await Promise.all(Array.from({ length: 5 }, () => client.chat(ask("same"))));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(results.map((r) => r.cached).sort(), [false, true, true, true, true]);
  const controller = new AbortController();
  const leader = client.chat(ask("other"), { signal: controller.signal });
  const follower = client.chat(ask("other"));
  while (server.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
  controller.abort();
  assert.equal((await failure(leader)).code, "aborted");
  assert.deepEqual([(await follower).content, (await follower).cached], ["fine", false]);
  assert.equal(server.requests.length, 3, "the follower sent its own request after the leader gave up");
});

test("concurrency limit: the server never sees more requests in flight than allowed", async () => {
  const { server, client } = await setup(() => answer({ delayMs: 5 }), { concurrency: 4 });
  await Promise.all(Array.from({ length: 40 }, (_, i) => client.chat(ask(`q${i}`))));
  assert.deepEqual(server.inFlight(), { now: 0, max: 4 });
  assert.equal(server.requests.length, 40);
});

test("streaming accumulation equals the plain answer: reasoning (both fields, <think>), tool calls, token ids, logprobs, usage", async () => {
  const answers: Omit<Answer, "type">[] = [
    { content: "The answer is 42.", reasoning: "six times seven", reasoningField: "reasoning_content", completion_token_ids: [5, 6, 7], logprobs: [-0.1, -2, -0.3] },
    { content: "ok", reasoning: "vllm style", reasoningField: "reasoning", usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13, reasoning_tokens: 2 } },
    { content: "both", reasoning: "same text", reasoningField: "both" },
    { content: "<think>\ninline reasoning\n</think>\n\nvisible answer", prompt_token_ids: [1, 2, 3] },
    {
      content: null,
      reasoning: "call tools",
      tool_calls: [
        { id: "call_x", name: "search", arguments: '{"query": "long context", "k": 10}' },
        { id: "call_y", name: "open", arguments: '{"url":"https://example.com/ü"}' },
      ],
      chunkChars: 1,
    },
    { content: "cut", finish_reason: "length" },
  ];
  const { client } = await setup((_i, body) => {
    const question = (body["messages"] as { content: string }[])[0]!.content;
    return answer(answers[Number(question.slice(1))]);
  });
  const comparable = ({ raw: _raw, ...rest }: ChatResult) => rest;
  const results: ChatResult[] = [];
  for (let i = 0; i < answers.length; i++) {
    const plain = await client.chat(ask(`p${i}`));
    const streamed = await client.chat(ask(`s${i}`, { stream: true }));
    const raw = streamed.raw as { events: number; chunks: { choices: { finish_reason: string | null }[]; usage?: unknown }[] };
    assert.ok(raw.events > raw.chunks.length, "deltas are not kept twice");
    assert.equal(raw.chunks.length, 3, "first chunk, finish chunk, usage chunk");
    assert.equal(raw.chunks[1]!.choices[0]!.finish_reason, plain.finish_reason);
    assert.deepEqual(raw.chunks[2]!.usage, (plain.raw as { usage: unknown }).usage);
    assert.deepEqual(comparable(streamed), comparable(plain), `answer ${i}`);
    results.push(streamed);
  }
  assert.deepEqual([results[2]!.reasoning, results[3]!.reasoning, results[3]!.content], ["same text", "inline reasoning", "visible answer"]);
  assert.deepEqual(results[4]!.tool_calls, [
    { id: "call_x", name: "search", arguments: '{"query": "long context", "k": 10}' },
    { id: "call_y", name: "open", arguments: '{"url":"https://example.com/ü"}' },
  ]);
  assert.deepEqual([results[4]!.content, results[4]!.finish_reason, results[5]!.finish_reason], [null, "tool_calls", "length"]);
});

test("the API key never appears in errors, retry reports, stats or cache files, even when the server echoes it", async () => {
  const key = "sk-leak-check-7f3a9c2e1b";
  const cacheDir = tempDir();
  const seen: string[] = [];
  const { server, client } = await setup(
    (i, body) => {
      const auth = String(server.requests[i]!.headers["authorization"]);
      if (JSON.stringify(body).includes("ok")) return answer({ content: "fine" });
      return i % 2 === 0 ? { type: "error", status: 401, message: `Incorrect API key provided: ${auth}` } : { type: "error", status: 500, message: `upstream said ${auth}` };
    },
    { apiKey: key, cacheDir, maxRetries: 1, onRetry: (info) => seen.push(info.error.message, JSON.stringify(info.error)) },
  );
  assert.equal(server.requests.length, 0);
  for (const q of ["a", "b"]) {
    const error = await failure(client.chat(ask(q)));
    seen.push(error.message, String(error.stack), JSON.stringify(error), error.url);
  }
  await client.chat(ask("ok"));
  seen.push(JSON.stringify(client.stats()));
  for (const entry of readdirSync(cacheDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) seen.push(readFileSync(join(entry.parentPath, entry.name), "utf8"));
  }
  assert.ok(server.requests.every((r) => r.headers["authorization"] === `Bearer ${key}`), "the key was sent");
  assert.ok(seen.some((text) => text.includes("[redacted]")), "the echoed key was seen and redacted");
  for (const text of seen) assert.ok(!text.includes(key), `key leaked in: ${text}`);
});

test("aborting a call stops it at once without retrying", async () => {
  const { server, client } = await setup(() => ({ type: "hang" }));
  const controller = new AbortController();
  const call = client.chat(ask(), { signal: controller.signal });
  while (server.requests.length < 1) await new Promise((resolve) => setTimeout(resolve, 2));
  controller.abort();
  const error = await failure(call);
  assert.equal(error.code, "aborted");
  assert.equal(server.requests.length, 1);
  assert.equal((await failure(client.chat(ask(), { signal: controller.signal }))).code, "aborted");
  assert.equal(server.requests.length, 1);
});

test("keys from an unset environment variable fail at creation, naming the variable", () => {
  assert.throws(() => createClient({ endpoint: "http://127.0.0.1:1/v1", apiKeyEnv: "ACC_TEST_UNSET_KEY" }), /ACC_TEST_UNSET_KEY is not set/);
});

test("cache: an answer whose pack cannot be written fails its call with the write's error, counted once; the next call is sent again", async () => {
  const cacheDir = join(tempDir(), "cache");
  const { server, client } = await setup(() => answer(), { cacheDir });
  assert.equal((await client.chat(ask("q1"))).cached, false);
  // the cache's index is read: from here on a call decides hit or miss without waiting
  rmSync(cacheDir, { recursive: true });
  writeFileSync(cacheDir, "not a folder");
  await assert.rejects(client.chat(ask("q2")), /ENOTDIR|not a directory/);
  assert.equal(client.stats().failures, 1);
  rmSync(cacheDir);
  mkdirSync(cacheDir);
  assert.equal((await client.chat(ask("q2"))).cached, false, "the failed answer was not taken for cached");
  assert.equal(server.requests.length, 3);
  const { requests, cache_hits, failures } = client.stats();
  assert.deepEqual({ requests, cache_hits, failures }, { requests: 3, cache_hits: 0, failures: 1 });
});

test("a request that cannot be serialised fails the call as a rejection (never a throw), counted, with or without the cache", async () => {
  for (const options of [{}, { cacheDir: tempDir() }]) {
    const { server, client } = await setup(() => answer(), options);
    const call = client.chat(ask("x", { extra_body: { n: 1n } }));
    await assert.rejects(call, /BigInt/);
    assert.equal(client.stats().failures, 1);
    assert.equal(server.requests.length, 0);
  }
});
