import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type CachedResult, canonicalJson, requestKey, ResponseCache } from "../../src/llm/cache.js";
import { parseCompletion } from "../../src/llm/response.js";
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

const result = (content: string): CachedResult => ({ content, reasoning: null, tool_calls: [], finish_reason: "stop", usage: null, model: "m", raw: { content } });
const keyOf = (n: number) => n.toString(16).padStart(64, "0");

test("cache: answers are appended to one pack of this cache's, are read back by a new cache, and leave no other files", async () => {
  const dir = join(tempDir(), "cache");
  const cache = new ResponseCache(dir);
  assert.equal(await cache.get(keyOf(1)), undefined, "a missing folder is an empty cache");
  await Promise.all(Array.from({ length: 50 }, (_, n) => cache.put(keyOf(n), { result: result(`answer ${n} ü`) })));
  await cache.put(keyOf(50), { result: result("later") });
  const files = readdirSync(dir);
  assert.equal(files.length, 1, `the 50 answers that finished together and the later one, in one pack: ${files}`);
  assert.ok(files.every((f) => f.endsWith(".jsonl") && !f.startsWith(".")));
  const lines = files.flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean));
  assert.equal(lines.length, 51);
  const reopened = new ResponseCache(dir);
  for (let n = 0; n <= 50; n++) assert.deepEqual(await reopened.get(keyOf(n)), result(n === 50 ? "later" : `answer ${n} ü`));
  assert.deepEqual(await cache.get(keyOf(7)), result("answer 7 ü"), "the writing cache reads its own packs");
  assert.equal(await reopened.get(keyOf(51)), undefined);
  await reopened.put(keyOf(51), { result: result("another cache") });
  assert.equal(readdirSync(dir).length, 2, "another cache writes a pack of its own");
});

test("cache: a line cut short (a kill mid-write) is no entry: the same answer stored whole elsewhere is found", async () => {
  const dir = tempDir();
  const whole = new ResponseCache(dir);
  await whole.put(keyOf(1), { result: result("a1") });
  const [pack] = readdirSync(dir);
  const line = readFileSync(join(dir, pack!), "utf8");
  // a pack named before the other, ending in the first half of an entry for key 1
  writeFileSync(join(dir, `0-${pack}`), `${JSON.stringify({ key: keyOf(2), version: "acc-llm-cache/2", result: result("a2") })}\n${line.slice(0, line.length >> 1)}`);
  const reopened = new ResponseCache(dir);
  assert.deepEqual(await reopened.get(keyOf(1)), result("a1"));
  assert.deepEqual(await reopened.get(keyOf(2)), result("a2"));
});

test("cache: a damaged entry is a miss, its neighbours still hit; bad keys are refused", async () => {
  const dir = tempDir();
  const cache = new ResponseCache(dir);
  await Promise.all([1, 2, 3].map((n) => cache.put(keyOf(n), { result: result(`a${n}`) })));
  const [pack] = readdirSync(dir);
  const path = join(dir, pack!);
  writeFileSync(path, readFileSync(path, "utf8").replace('"a2"', '"a2'));
  const reopened = new ResponseCache(dir);
  assert.equal(await reopened.get(keyOf(2)), undefined);
  assert.deepEqual(await reopened.get(keyOf(3)), result("a3"));
  assert.throws(() => cache.put("../escape", { result: result("x") }), /sha256 hex/);
});

test("cache: has() answers without waiting once the index is read; add() tells its waiter when the pack is written, or why not", async () => {
  const dir = join(tempDir(), "cache");
  const cache = new ResponseCache(dir);
  assert.equal(cache.has(keyOf(1)), undefined, "not known before the index is read");
  assert.equal(await cache.get(keyOf(1)), undefined);
  assert.equal(cache.has(keyOf(1)), false);
  const told = await new Promise<string>((resolve) => cache.add(keyOf(1), { result: result("a1") }, { written: () => resolve("written"), notWritten: (error) => resolve(`not written: ${error}`) }));
  assert.equal(told, "written");
  assert.equal(cache.has(keyOf(1)), true, "known as soon as its line is written");
  assert.deepEqual(await cache.get(keyOf(1)), result("a1"));
  // the folder replaced by a file: the next pack cannot be written
  rmSync(dir, { recursive: true });
  writeFileSync(dir, "not a folder");
  const error = await new Promise<unknown>((resolve) => cache.add(keyOf(2), { result: result("a2") }, { written: () => resolve(undefined), notWritten: resolve }));
  assert.match(String((error as Error)?.message), /ENOTDIR|not a directory/);
  assert.equal(cache.has(keyOf(2)), false);
  assert.throws(() => cache.add("../escape", { result: result("x") }, { written: () => {}, notWritten: () => {} }), /sha256 hex/);
});

test("cache: past 64 MiB a pack is full and the next answers start a new one; every answer is read back by a new cache", async () => {
  const dir = tempDir();
  const cache = new ResponseCache(dir);
  // answers of ~1 MiB (an entry holds the content twice: as the answer and in the raw reply), one at a time
  const big = (n: number) => result(`${String(n).padStart(2, "0")} ${"x".repeat(1 << 20)}`);
  for (let n = 0; n < 70; n++) await cache.put(keyOf(n), { result: big(n) });
  const packNumber = (name: string) => Number(/-(\d+)\.jsonl$/.exec(name)![1]);
  const packs = readdirSync(dir).sort((a, b) => packNumber(a) - packNumber(b));
  const lines = packs.map((pack) => readFileSync(join(dir, pack), "utf8").split("\n").filter(Boolean));
  // every entry has the same length: a pack takes entries until it holds 64 MiB or more
  const entryBytes = Buffer.byteLength(lines[0]![0]!) + 1;
  const perPack = Math.ceil((64 << 20) / entryBytes);
  assert.ok(perPack < 70 / 2, `the answers fill more than two packs (${perPack} a pack)`);
  assert.deepEqual(
    lines.map((pack) => pack.length),
    Array.from({ length: Math.ceil(70 / perPack) }, (_, i) => Math.min(perPack, 70 - i * perPack)),
  );
  const reopened = new ResponseCache(dir);
  for (let n = 0; n < 70; n++) assert.deepEqual(await reopened.get(keyOf(n)), big(n), `answer ${n}`);
});

test("cache: a reply is stored as received, once, and read back as the client parsed it; old parsed entries still hit", async () => {
  const dir = tempDir();
  const cache = new ResponseCache(dir);
  const reasoning = "step ".repeat(2000);
  const reply = JSON.stringify({
    id: "c1",
    object: "chat.completion",
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "Final answer: 42", reasoning_content: reasoning }, finish_reason: "stop", token_ids: [5, 6] }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    prompt_token_ids: [1, 2, 3],
  });
  await cache.put(keyOf(1), { reply });
  const raw = JSON.parse(reply) as unknown;
  const parsed = parseCompletion(raw);
  // the answer as it was before session 11's layout: its fields and the raw reply, the reasoning twice
  await cache.put(keyOf(2), { result: { ...parsed, raw } });
  const [pack] = readdirSync(dir);
  const [replyLine, parsedLine] = readFileSync(join(dir, pack!), "utf8").split("\n");
  assert.ok(replyLine!.includes(`"reply":${reply}}`), "the reply's bytes, as received");
  assert.equal(replyLine!.split(reasoning).length - 1, 1, "the reasoning once");
  assert.equal(parsedLine!.split(reasoning).length - 1, 2, "the parsed layout held it twice");
  const reopened = new ResponseCache(dir);
  const hit = await reopened.get(keyOf(1));
  assert.deepEqual(hit, { ...parsed, raw });
  assert.deepEqual([hit?.content, hit?.reasoning, hit?.prompt_token_ids, hit?.completion_token_ids], ["Final answer: 42", reasoning, [1, 2, 3], [5, 6]]);
  assert.deepEqual(await reopened.get(keyOf(2)), { ...parsed, raw }, "an entry of the parsed layout reads the same");
});

test("cache: a reply with a line break is refused (its entry would be cut in two); one that no longer parses is a miss", async () => {
  const dir = tempDir();
  const cache = new ResponseCache(dir);
  const waiter = { written: () => {}, notWritten: () => {} };
  assert.throws(() => cache.add(keyOf(1), { reply: '{\n"choices": []}' }, waiter), /one line/);
  assert.throws(() => cache.add(keyOf(1), { reply: '{\r"choices": []}' }, waiter), /one line/);
  await cache.put(keyOf(2), { reply: '{"choices":[]}' });
  await cache.put(keyOf(3), { reply: JSON.stringify({ choices: [{ message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] }) });
  const reopened = new ResponseCache(dir);
  assert.equal(await reopened.get(keyOf(2)), undefined, "no choice to read: sent again");
  assert.equal((await reopened.get(keyOf(3)))?.content, "ok");
  assert.equal(readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean)).length, 2, "nothing written for the refused reply");
});
