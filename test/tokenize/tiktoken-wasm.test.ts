import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import v8 from "node:v8";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { LIFTOFF_ONLY, mayCompileLiftoffOnly } from "../../src/tokenize/tiktoken-wasm.js";

const require = createRequire(import.meta.url);
const TIKTOKEN = require.resolve("tiktoken/lite");

test("tiktoken's WebAssembly is compiled with --liftoff-only set, and the flag is cleared right after, once per process", async () => {
  assert.equal(require.cache[TIKTOKEN], undefined, "nothing in this file loads tiktoken before the test");
  const calls: { flag: string; tiktokenLoaded: boolean }[] = [];
  const setFlags = v8.setFlagsFromString;
  v8.setFlagsFromString = (flag: string) => {
    calls.push({ flag, tiktokenLoaded: require.cache[TIKTOKEN] !== undefined });
    setFlags(flag);
  };
  try {
    const qwen3 = await loadQwen3();
    // the exact ids are the conformance tests' (qwen3-conformance, load); here: the codec works after the flag dance
    assert.deepEqual(qwen3.decode(qwen3.encode("Hello, world! <think>\n</think>")), "Hello, world! <think>\n</think>");
    await loadQwen3();
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
