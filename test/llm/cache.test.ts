import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { canonicalJson, requestKey, ResponseCache } from "../../src/llm/cache.js";
import { tempDir } from "../helpers/collect.js";

test("canonical JSON sorts keys at every depth and drops undefined fields", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: "é\n" }), JSON.stringify({ a: "é\n" }));
});

test("request key: independent of key order and the stream flag, sensitive to endpoint, model, messages and every parameter", () => {
  const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }], temperature: 0.7, seed: 1 };
  const key = requestKey("http://h/v1", base);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(requestKey("http://h/v1/", { seed: 1, temperature: 0.7, messages: base.messages, model: "m" }), key);
  assert.equal(requestKey("http://h/v1", { ...base, stream: true }), key);
  const variants = [
    requestKey("http://other/v1", base),
    requestKey("http://h/v1", { ...base, model: "n" }),
    requestKey("http://h/v1", { ...base, messages: [{ role: "user", content: "hi!" }] }),
    requestKey("http://h/v1", { ...base, temperature: 0.8 }),
    requestKey("http://h/v1", { ...base, seed: 2 }),
    requestKey("http://h/v1", { ...base, extra_body: { top_k: 20 } }),
  ];
  assert.equal(new Set([key, ...variants]).size, variants.length + 1);
});

test("cache: entries sharded by key prefix, written without leftovers, unreadable entries count as misses", async () => {
  const dir = tempDir();
  const cache = new ResponseCache(dir);
  const key = "ab".padEnd(64, "0");
  const result = { content: "x", reasoning: null, tool_calls: [], finish_reason: "stop", usage: null, model: "m", raw: { id: 1 } };
  assert.equal(await cache.get(key), undefined);
  await cache.put(key, result);
  assert.deepEqual(readdirSync(join(dir, "ab")), [`${key}.json`]);
  assert.deepEqual(await cache.get(key), result);
  assert.deepEqual(await new ResponseCache(dir).get(key), result, "a new process reads what an earlier one wrote");
  writeFileSync(cache.pathOf(key), readFileSync(cache.pathOf(key), "utf8").slice(0, 20));
  assert.equal(await cache.get(key), undefined);
});
