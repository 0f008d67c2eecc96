import assert from "node:assert/strict";
import { test } from "node:test";
import { countTokens, o200k, workerCounter } from "../../src/evals/tokens.js";
import { fuzzStrings } from "../tokenize/fuzz-text.js";

test("counts asked together on worker threads come back per call, equal to counting in this thread", async () => {
  const tokenizer = await o200k();
  // calls of 1–4 texts, some large enough that a batch is split over the workers
  const calls = Array.from({ length: 300 }, (_, i) => fuzzStrings(1 + (i % 4), i, 8).map((text) => (i % 50 === 0 ? `${text} The quick brown fox, 1234 times.\n`.repeat(2000) : text)));
  const counter = workerCounter(2);
  try {
    const first = await Promise.all(calls.slice(0, 200).map((texts) => counter.count(texts)));
    // a second wave while nothing is out, then one more call alone
    const second = await Promise.all(calls.slice(200).map((texts) => counter.count(texts)));
    const alone = await counter.count(["just one"]);
    assert.deepEqual([...first, ...second], calls.map((texts) => countTokens(tokenizer, texts)));
    assert.equal(alone, countTokens(tokenizer, ["just one"]));
    assert.equal(await counter.count([]), 0);
  } finally {
    await counter.close();
  }
});
