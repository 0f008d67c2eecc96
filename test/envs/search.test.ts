import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CorpusError, DEFAULT_SEARCH_OPTIONS, SearchEnvironment } from "../../src/envs/index.js";
import { tempDir } from "../helpers/collect.js";

const CORPUS = join(import.meta.dirname, "../../examples/rollout/corpus.jsonl");

async function load(maxChars = DEFAULT_SEARCH_OPTIONS.maxChars) {
  return SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus: CORPUS, maxChars });
}

test("search ranks by BM25: the documents that hold the rare query terms come first, ties by id; k is capped", async () => {
  const env = await load();
  const hits = env.search("Solaris Lem novel", 5);
  assert.equal(hits[0]!.id, "solaris", "the only document with 'solaris' in title and text");
  assert.ok(hits.slice(1, 3).some((h) => h.id === "lem"));
  assert.ok(hits.every((h, i) => i === 0 || hits[i - 1]!.score >= h.score));
  const session = await env.open({ id: "t", question: "q", answer: "a" });
  const result = await session.call("search", { query: "Om believer Discworld", k: 2 });
  assert.equal(result.isError, false);
  assert.match(result.content, /^1\. \[small-gods\] Small Gods\nSmall Gods is the thirteenth Discworld novel/);
  assert.equal(result.content.split("\n\n").length, 2);
  const capped = await SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus: CORPUS, maxK: 3 });
  const many = await (await capped.open({ id: "t", question: "q", answer: "a" })).call("search", { query: "novel", k: 500 });
  assert.equal(many.content.split("\n\n").length, 3, "7 documents mention novels; at most maxK are shown");
  assert.deepEqual(await session.call("search", { query: "zzzqqq" }), { content: 'no document matches "zzzqqq"', isError: false });
  assert.deepEqual(await session.call("search", { query: "x", k: "many" }), { content: 'search: argument "k" must be an integer, got "many"', isError: true });
});

test("open shows a whole document up to the character cap; an unknown id is an error result", async () => {
  const env = await load(80);
  const session = await env.open({ id: "t", question: "q", answer: "a" });
  const doc = await session.call("open", { doc_id: "lem" });
  assert.match(doc.content, /^\[lem\] Stanisław Lem\n\nStanisław Lem was a Polish/);
  assert.match(doc.content, /\n\[… \d+ more characters not shown\]$/);
  assert.deepEqual(await session.call("open", { doc_id: "nope" }), { content: 'no document with id "nope" (ids come from search results)', isError: true });
});

test("the reward is the qa verifier's answer match against the task's answer", async () => {
  const env = await load();
  const session = await env.open({ id: "t", question: "When was the author of Solaris born?", answer: "1921" });
  const right = await session.reward({ answer: "1921" });
  assert.deepEqual([right.reward, right.success], [1, true]);
  const wrong = await session.reward({ answer: "1961" });
  assert.deepEqual([wrong.reward, wrong.reason], [0, "mismatch"]);
  assert.equal(env.checkTask({ id: "x", question: "q" }), "a search task needs answer");
});

test("a bad corpus line is an error naming the file and line: not JSON, no text, a repeated id", async () => {
  const dir = tempDir();
  const cases: [string, RegExp][] = [
    ['{"id": "a", "text": "x"}\nnot json\n', /line 2: invalid JSON/],
    ['{"id": "a", "title": "t"}\n', /line 1: "text" must be a string/],
    ['{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', /line 2: document id "a" appears twice/],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const corpus = join(dir, `c${i}.jsonl`);
    writeFileSync(corpus, text);
    await assert.rejects(SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus }), (error: Error) => error instanceof CorpusError && error.message.startsWith(corpus) && expected.test(error.message));
  }
});
