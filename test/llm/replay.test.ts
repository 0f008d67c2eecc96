import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { type FinishReason, mapFinishReason } from "../../src/llm/finish-reason.js";
import { readChatStream } from "../../src/llm/stream.js";
import { type ChatResult, LlmError } from "../../src/llm/types.js";
import { Random } from "../../src/random.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";

/** A recorded response (see test/llm/replay/SOURCES.md) and what the client must read from it. */
interface Fixture {
  name: string;
  provider: string;
  status: number;
  content_type: string;
  body: string;
  expect:
    | { error: "http"; status: number }
    | {
        content: string | null;
        reasoning: string | null;
        tool_calls: { name: string; arguments: string }[];
        finish_reason: string | null;
        usage: ChatResult["usage"];
        model: string | null;
      };
}

const folder = join(import.meta.dirname, "replay");
const fixtures: Fixture[] = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(folder, name), "utf8")) as Fixture);
const isStream = (f: Fixture) => f.content_type.startsWith("text/event-stream");

const server = await startOpenAIServer();
const plain = createClient({ endpoint: server.url, maxRetries: 0, circuitBreaker: false });
const streaming = createClient({ endpoint: server.url, maxRetries: 0, circuitBreaker: false, stream: true });
after(async () => {
  await Promise.all([plain.close(), streaming.close()]);
  await server.close();
});

/** What the recorded servers' finish reasons mean in acc's vocabulary (every value the recordings hold). */
const FINISH: Record<string, FinishReason | null> = { stop: "stop", length: "length", tool_calls: "tool-calls", null: null };

function check(fixture: Fixture, result: ChatResult, how: string): void {
  const expected = fixture.expect;
  assert.ok(!("error" in expected), `${fixture.name} (${how}): expected an error, got an answer`);
  const got = {
    content: result.content,
    reasoning: result.reasoning,
    tool_calls: result.tool_calls.map((c) => ({ name: c.name, arguments: c.arguments })),
    finish_reason: result.finish_reason,
    usage: result.usage,
    model: result.model,
  };
  assert.deepEqual(got, expected, `${fixture.name} (${how})`);
  assert.equal(result.finish, FINISH[String(expected.finish_reason)], `${fixture.name} (${how}): the raw finish reason mapped`);
  assert.ok(!`${result.content}${result.reasoning}`.includes("\uFFFD"), `${fixture.name} (${how}): U+FFFD in the text`);
}

/** Replays the recording through the in-process server, written in the pieces `cuts` makes. */
async function replay(fixture: Fixture, cuts: number[] | "bytes" = []): Promise<ChatResult | LlmError> {
  server.setScript(() => ({ type: "raw", status: fixture.status, contentType: fixture.content_type, body: fixture.body, cuts }));
  const client = isStream(fixture) ? streaming : plain;
  try {
    return await client.chat({ model: "m", messages: [{ role: "user", content: "replay" }] });
  } catch (error) {
    if (error instanceof LlmError) return error;
    throw error;
  }
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

test("the replay suite covers at least 25 recorded shapes from the servers acc is used with", () => {
  assert.ok(fixtures.length >= 25, `${fixtures.length} fixtures`);
  const providers = new Set(fixtures.map((f) => f.provider.split(" ")[0]));
  for (const name of ["vLLM", "Ollama", "OpenRouter", "DeepSeek", "Groq", "Alibaba", "Mistral", "Moonshot", "xAI", "OpenAI"]) {
    assert.ok(providers.has(name), `no recording from ${name}`);
  }
  const sources = readFileSync(join(folder, "SOURCES.md"), "utf8");
  for (const f of fixtures) assert.ok(sources.includes(`\`${f.name}.json\``), `${f.name} is not in SOURCES.md`);
});

for (const fixture of fixtures) {
  test(`replay ${fixture.name} (${fixture.provider}): read exactly, whole and re-chunked`, async () => {
    const whole = await replay(fixture);
    if ("error" in fixture.expect) {
      assert.ok(whole instanceof LlmError, `${fixture.name}: expected an error`);
      assert.deepEqual([whole.code, whole.status], ["http", fixture.expect.status]);
      return;
    }
    assert.ok(!(whole instanceof LlmError), `${fixture.name}: ${whole instanceof LlmError ? whole.message : ""}`);
    check(fixture, whole, "whole");
    const bytes = Buffer.from(fixture.body, "utf8");
    // as proxies and TCP cut it: random byte offsets, a fresh set per run of the seed
    const random = new Random(20, fixture.name);
    const cuts = Array.from({ length: 40 }, () => random.int(1, bytes.length - 1));
    const cut = await replay(fixture, cuts);
    assert.ok(!(cut instanceof LlmError), `${fixture.name} cut: ${cut instanceof LlmError ? cut.message : ""}`);
    check(fixture, cut, "random cuts");
    if (!isStream(fixture)) return;
    // every byte its own network chunk: each multi-byte character is split
    const { parsed } = await readChatStream(pieces(bytes, 1), bytes.length);
    check(fixture, { ...parsed, finish: mapFinishReason(parsed.finish_reason), cached: false, attempts: 1, raw: null }, "1-byte pieces");
    if (bytes.length <= 8_000) {
      const byByte = await replay(fixture, "bytes");
      assert.ok(!(byByte instanceof LlmError), `${fixture.name} bytes: ${byByte instanceof LlmError ? byByte.message : ""}`);
      check(fixture, byByte, "1-byte writes through the server");
    }
  });
}

test("the 1-byte replay can fail: decoding each piece on its own (the old client) corrupts the multi-byte streams", () => {
  const multiByte = fixtures.filter((f) => isStream(f) && /[^\x00-\x7f]/.test(f.body));
  assert.ok(multiByte.length >= 3, `${multiByte.length} streams with multi-byte characters`);
  for (const fixture of multiByte) {
    const bytes = Buffer.from(fixture.body, "utf8");
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += bytes.subarray(i, i + 1).toString("utf8");
    assert.ok(text.includes("\uFFFD"), `${fixture.name}: per-chunk decoding left it intact`);
  }
});
