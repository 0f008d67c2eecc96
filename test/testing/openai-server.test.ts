import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, test } from "node:test";
import { type Reply, startOpenAIServer } from "../../src/testing/openai-server.js";

const servers: { close(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function start(script?: (body: unknown, index: number) => Reply | Promise<Reply>) {
  const server = await startOpenAIServer(script && ((request, index) => script(request.body, index)));
  servers.push(server);
  return server;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const sseEvents = (text: string) =>
  text
    .split("\n\n")
    .filter(Boolean)
    .map((event) => {
      assert.match(event, /^data: /);
      return event.slice(6);
    });

test("default script: a chat.completion echoing the last user message, usage counted in whitespace tokens; every request recorded", async () => {
  const server = await start();
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const messages = [
    { role: "system", content: "be brief" },
    { role: "user", content: "what is two plus two" },
  ];
  const response = await post(server.url, { model: "qwen", messages }, { authorization: "Bearer k1", "x-extra": "y" });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(body["object"], "chat.completion");
  assert.equal(body["model"], "qwen");
  assert.equal(typeof body["id"], "string");
  assert.equal(typeof body["created"], "number");
  assert.deepEqual(body["choices"], [{ index: 0, message: { role: "assistant", content: "echo: what is two plus two" }, finish_reason: "stop", logprobs: null }]);
  assert.deepEqual(body["usage"], { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 });
  assert.equal(server.requests.length, 1);
  assert.deepEqual(server.requests[0]!.body, { model: "qwen", messages });
  assert.equal(server.requests[0]!.headers["authorization"], "Bearer k1");
  assert.equal(server.requests[0]!.headers["x-extra"], "y");
  const models = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
  assert.equal(models.data[0]!.id, "test-model");
  assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  assert.equal(server.requests.length, 1, "only chat completions are recorded");
});

test("streaming: role, reasoning, content and tool-call deltas, finish chunk, usage chunk only when asked, then [DONE]", async () => {
  const server = await start(() => ({
    type: "answer",
    content: "final answer",
    reasoning: "because",
    reasoningField: "reasoning",
    tool_calls: [{ id: "c1", name: "lookup", arguments: '{"k": "v"}' }],
    chunkChars: 3,
  }));
  const body = { model: "m", messages: [{ role: "user", content: "q" }], stream: true };
  const withUsage = await post(server.url, { ...body, stream_options: { include_usage: true } });
  assert.match(withUsage.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = sseEvents(await withUsage.text());
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown });
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
  assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: "assistant", content: "" });
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
  assert.equal(deltas.map((d) => d["reasoning"] ?? "").join(""), "because");
  assert.equal(deltas.map((d) => d["content"] ?? "").join(""), "final answer");
  const calls = deltas.flatMap((d) => (d["tool_calls"] as { index: number; id?: string; function: { name?: string; arguments: string } }[]) ?? []);
  assert.equal(calls[0]!.id, "c1");
  assert.equal(calls[0]!.function.name, "lookup");
  assert.equal(calls.map((c) => c.function.arguments).join(""), '{"k": "v"}');
  assert.ok(calls.every((c) => c.index === 0));
  assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, "tool_calls");
  assert.deepEqual(chunks.at(-1)!.choices, []);
  assert.deepEqual(chunks.at(-1)!.usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
  const withoutUsage = sseEvents(await (await post(server.url, body)).text());
  assert.ok(withoutUsage.slice(0, -1).every((e) => !("usage" in JSON.parse(e))));
});

test("scripted failures: status with Retry-After and an OpenAI error body, malformed bodies, reset, truncation, hang", async () => {
  const replies: Reply[] = [
    { type: "error", status: 429, retryAfter: "3", message: "slow down" },
    { type: "malformed", body: "invalid-json" },
    { type: "malformed", body: "no-choices" },
    { type: "reset" },
    { type: "truncate" },
    { type: "hang" },
  ];
  const server = await start((_body, index) => replies[index]!);
  const limited = await post(server.url, { model: "m", messages: [] });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "3");
  assert.deepEqual(await limited.json(), { error: { message: "slow down", type: "rate_limit_error", code: 429 } });
  const invalid = await (await post(server.url, { model: "m", messages: [] })).text();
  assert.throws(() => JSON.parse(invalid));
  assert.equal("choices" in ((await (await post(server.url, { model: "m", messages: [] })).json()) as object), false);
  await assert.rejects(post(server.url, { model: "m", messages: [] }), /fetch failed/);
  await assert.rejects(async () => (await post(server.url, { model: "m", messages: [] })).text());
  const hung = post(server.url, { model: "m", messages: [] }, {});
  hung.catch(() => {});
  while (server.requests.length < 6) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(server.inFlight(), { now: 1, max: 1 }, "the hung request is still open");
  assert.equal(server.requests.length, 6);
});

test("in-flight counting: the server sees the most concurrent requests it was given", async () => {
  // every request is held until all five have arrived: an event, not a delay a loaded machine can outrun
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  const server = await start(async () => {
    if (++arrived === 5) release();
    await all;
    return { type: "answer" as const, content: "ok" };
  });
  const agent = { agent: false } as const;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${server.url}/chat/completions`, { method: "POST", ...agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end(JSON.stringify({ model: "m", messages: [] }));
    });
  await Promise.all(Array.from({ length: 5 }, once));
  assert.deepEqual(server.inFlight(), { now: 0, max: 5 });
});

test("default usage counts whitespace-separated words as a \\s+ split does, Unicode spaces included", async () => {
  const server = await start();
  const texts = ["", "  ", "one", " two  words ", "tab\tand\nnewline\r\nend", "no\u00a0break\u2003em\u3000ideo\ufeffbom", "ü é 漢字 😀"];
  for (const text of texts) {
    const body = (await (await post(server.url, { model: "m", messages: [{ role: "user", content: text }] })).json()) as { usage: { prompt_tokens: number } };
    assert.equal(body.usage.prompt_tokens, text.split(/\s+/).filter(Boolean).length, JSON.stringify(text));
  }
});
