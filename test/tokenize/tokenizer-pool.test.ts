import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenizerPool } from "../../src/tokenize/tokenizer-pool.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { fuzzStrings } from "./fuzz-text.js";

test("TokenizerPool on 2 worker threads: counts and ids equal the in-process tokenizer's, in input order", async () => {
  const texts = fuzzStrings(500, 3);
  const qwen3 = await loadQwen3();
  const pool = new TokenizerPool("qwen3", 2);
  try {
    const [counts, ids] = await Promise.all([pool.count(texts), pool.encode(texts)]);
    assert.deepEqual(counts, texts.map((text) => qwen3.count(text)));
    assert.deepEqual(ids, texts.map((text) => qwen3.encode(text)));
    assert.deepEqual(await pool.count([]), []);
  } finally {
    await pool.close();
  }
});

test("TokenizerPool: an unknown tokenizer spec rejects with the loader's message", async () => {
  const pool = new TokenizerPool("no-such-tokenizer", 1);
  try {
    await assert.rejects(pool.count(["x"]), /tokenizer "no-such-tokenizer": not one of/);
  } finally {
    await pool.close();
  }
});
