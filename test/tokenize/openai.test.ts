import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { fuzzStrings } from "./fuzz-text.js";

const require = createRequire(import.meta.url);

test("cl100k_base matches OpenAI's published example ids", async () => {
  // From OpenAI's cookbook "How to count tokens with tiktoken".
  const cl100k = await loadOpenAiEncoding("cl100k_base");
  assert.deepEqual(cl100k.encode("tiktoken is great!"), [83, 1609, 5963, 374, 2294, 0]);
  assert.equal(cl100k.count("tiktoken is great!"), 6);
});

test("o200k_base and cl100k_base: offline, identified by the shipped file's hash, special-token text counted as plain text", async () => {
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const tokenizer = await loadOpenAiEncoding(name);
    const file = require.resolve(`tiktoken/encoders/${name}.json`);
    const shipped = JSON.parse(readFileSync(file, "utf8")) as { special_tokens: Record<string, number> };
    assert.equal(tokenizer.info.sha256, createHash("sha256").update(readFileSync(file)).digest("hex"));
    assert.deepEqual(Object.fromEntries(tokenizer.specialTokens.all), shipped.special_tokens);
    const endOfText = shipped.special_tokens["<|endoftext|>"]!;
    const ids = tokenizer.encode("a<|endoftext|>b");
    assert.ok(ids.length > 3 && !ids.includes(endOfText));
    assert.equal(tokenizer.decode(ids), "a<|endoftext|>b");
    assert.equal(tokenizer.decode([endOfText]), "<|endoftext|>");
    assert.equal(tokenizer.hasChatTemplate, false);
    assert.throws(() => tokenizer.applyChatTemplate([]), new RegExp(`${name} has no chat template`));
    assert.throws(() => tokenizer.decode([300_000]), /token id 300000 is not in the vocabulary/);
  }
});

test("OpenAI encodings round-trip 2,000 fuzz strings exactly (no normalisation) and count what they encode", async () => {
  const o200k = await loadOpenAiEncoding("o200k_base");
  for (const text of fuzzStrings(2_000, 11)) {
    const ids = o200k.encode(text);
    assert.equal(o200k.decode(ids), text);
    assert.equal(o200k.count(text), ids.length);
  }
});
