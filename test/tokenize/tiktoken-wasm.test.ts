import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import v8 from "node:v8";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { TiktokenCodec } from "../../src/tokenize/tiktoken-bpe.js";
import { LIFTOFF_ONLY, mayCompileLiftoffOnly } from "../../src/tokenize/tiktoken-wasm.js";

const require = createRequire(import.meta.url);
const TIKTOKEN = require.resolve("tiktoken/lite");

/** A codec over the 256 byte tokens with a pattern JavaScript does not read: one that tiktoken runs. */
function tiktokenCodec(): TiktokenCodec {
  const ranks = Array.from({ length: 256 }, (_, byte) => `${Buffer.from([byte]).toString("base64")} ${byte}`).join("\n");
  return new TiktokenCodec({ ranks, pattern: "\\s+|\\S+", specialTokens: new Map(), splitAddedTokens: false, nfc: false });
}

test("tiktoken's WebAssembly is compiled with --liftoff-only set, and the flag is cleared right after, once per process", async () => {
  assert.equal(require.cache[TIKTOKEN], undefined, "nothing in this file loads tiktoken before the test");
  // the bundled tokenizers run over rank tables: they load no WebAssembly
  await loadQwen3();
  await loadOpenAiEncoding("cl100k_base");
  assert.equal(require.cache[TIKTOKEN], undefined, "the bundled tokenizers loaded tiktoken");
  const calls: { flag: string; tiktokenLoaded: boolean }[] = [];
  const setFlags = v8.setFlagsFromString;
  v8.setFlagsFromString = (flag: string) => {
    calls.push({ flag, tiktokenLoaded: require.cache[TIKTOKEN] !== undefined });
    setFlags(flag);
  };
  try {
    const codec = tiktokenCodec();
    // the codec works after the flag dance
    assert.deepEqual(codec.encode("Hi there"), [72, 105, 32, 116, 104, 101, 114, 101]);
    tiktokenCodec();
  } finally {
    v8.setFlagsFromString = setFlags;
  }
  assert.deepEqual(calls, [
    { flag: LIFTOFF_ONLY, tiktokenLoaded: false },
    { flag: "--no-liftoff-only", tiktokenLoaded: true },
  ]);
});

test("a WebAssembly flag of the user's among node's own flags leaves V8's flags alone", () => {
  assert.equal(mayCompileLiftoffOnly([]), true);
  assert.equal(mayCompileLiftoffOnly(["--max-semi-space-size=64", "--experimental-wasm-modules", "--import", "x.mjs"]), true);
  for (const flag of ["--liftoff-only", "--no-liftoff-only", "--no-liftoff", "--liftoff", "--no-wasm-tier-up", "--wasm-dynamic-tiering", "--no_liftoff_only"]) {
    assert.equal(mayCompileLiftoffOnly(["--inspect", flag]), false, flag);
  }
});
