import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { test } from "node:test";
import { CorpusError, DEFAULT_SEARCH_OPTIONS, ensureSearchIndex, SearchEnvironment } from "../../src/envs/index.js";
import Database from "better-sqlite3";
import { matchExpression } from "../../src/envs/search-index.js";
import { tempDir } from "../helpers/collect.js";

const EXAMPLE = join(import.meta.dirname, "../../examples/rollout/corpus.jsonl");
const task = { id: "t", question: "q", answer: "a" };

/** The bundled corpus, copied so that its index is built in a temporary folder. */
function corpus(): string {
  const path = join(tempDir(), "corpus.jsonl");
  copyFileSync(EXAMPLE, path);
  return path;
}

async function load(options: Partial<typeof DEFAULT_SEARCH_OPTIONS> = {}, path = corpus()) {
  return SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, ...options, corpus: path });
}

test("search ranks by BM25: the documents that hold the rare query terms come first, ties by id; k is capped", async () => {
  const env = await load();
  const capped = await load({ maxK: 3 });
  try {
    const hits = await env.search("Solaris Lem novel", 5);
    assert.equal(hits[0]!.id, "solaris", "the only document with 'solaris' in title and text");
    assert.ok(hits.slice(1, 3).some((h) => h.id === "lem"));
    assert.ok(hits.every((h, i) => i === 0 || hits[i - 1]!.rank <= h.rank));
    const session = await env.open(task);
    const result = await session.call("search", { query: "Om believer Discworld", k: 2 });
    assert.equal(result.isError, false);
    assert.match(result.content, /^1\. \[small-gods\] Small Gods\nSmall Gods is the thirteenth Discworld novel/);
    assert.equal(result.content.split("\n\n").length, 2);
    const many = await (await capped.open(task)).call("search", { query: "novel", k: 500 });
    assert.equal(many.content.split("\n\n").length, 3, "7 documents mention novels; at most maxK are shown");
    // stemming: "novels" finds the documents that say "novel"
    assert.deepEqual((await env.search("novels", 20)).map((h) => h.id), (await env.search("novel", 20)).map((h) => h.id));
    assert.deepEqual(await session.call("search", { query: "zzzqqq" }), { content: 'no document matches "zzzqqq"', isError: false });
    assert.deepEqual(await session.call("search", { query: "?!" }), { content: 'no document matches "?!"', isError: false });
    assert.deepEqual(await session.call("search", { query: "x", k: "many" }), { content: 'search: argument "k" must be an integer, got "many"', isError: true });
  } finally {
    await env.close();
    await capped.close();
  }
});

test("an agent's words are never read as FTS5 syntax: quotes, operators, column filters and stars are plain text", async () => {
  assert.equal(matchExpression('Lem AND "Solaris" NEAR(x y) title:novel * -'), '"lem" OR "and" OR "solaris" OR "near" OR "x" OR "y" OR "title" OR "novel"');
  assert.equal(matchExpression("  ...  "), undefined);
  const env = await load();
  try {
    const session = await env.open(task);
    for (const query of ['"', "NOT", "title:", "solaris*", "a) OR (b", "NEAR/2"]) {
      const result = await session.call("search", { query });
      assert.equal(result.isError, false, `${query}: ${result.content}`);
    }
  } finally {
    await env.close();
  }
});

test("open shows a whole document up to the character cap, by string or numeric id; an unknown id is an error result", async () => {
  const dir = tempDir();
  const numbered = join(dir, "numbered.jsonl");
  writeFileSync(numbered, '{"id": 7, "title": "Seven", "text": "The seventh document."}\n{"id": "8", "title": "Eight", "text": "The eighth."}\n');
  const env = await load({ maxChars: 80 });
  const numbers = await load({}, numbered);
  try {
    const session = await env.open(task);
    const doc = await session.call("open", { doc_id: "lem" });
    assert.match(doc.content, /^\[lem\] Stanisław Lem\n\nStanisław Lem was a Polish/);
    assert.match(doc.content, /\n\[… \d+ more characters not shown\]$/);
    assert.deepEqual(await session.call("open", { doc_id: "nope" }), { content: 'no document with id "nope" (ids come from search results)', isError: true });
    const other = await numbers.open(task);
    assert.equal((await other.call("open", { doc_id: 7 })).content, "[7] Seven\n\nThe seventh document.");
    assert.equal((await other.call("open", { doc_id: "7" })).content, "[7] Seven\n\nThe seventh document.");
    assert.equal((await other.call("open", { doc_id: 8 })).content, "[8] Eight\n\nThe eighth.");
    assert.equal((await other.call("open", { doc_id: 7.5 })).isError, true);
    assert.deepEqual(await other.call("open", { doc_id: null }), { content: 'open: argument "doc_id" must be a string, got null', isError: true });
  } finally {
    await env.close();
    await numbers.close();
  }
});

test("the index is built once beside the corpus and loaded from disk by later runs; a changed corpus is indexed again", async () => {
  const path = corpus();
  const first = await ensureSearchIndex(path);
  assert.deepEqual([first.path, first.documents, first.built], [`${path}.index.sqlite`, 16, true]);
  assert.equal((await ensureSearchIndex(path)).built, false);
  // an index file may stand for its corpus
  const byIndex = await load({}, first.path);
  try {
    assert.equal((await byIndex.search("Solaris", 1))[0]!.id, "solaris");
  } finally {
    await byIndex.close();
  }
  writeFileSync(path, '{"id": "only", "text": "One document about Solaris."}\n');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const again = await ensureSearchIndex(path);
  assert.deepEqual([again.documents, again.built], [1, true]);
  assert.deepEqual(readdirSync(join(path, "..")).sort(), ["corpus.jsonl", "corpus.jsonl.index.sqlite"], "no temporary file is left");
});

test("the reward is the qa verifier's answer match against the task's answer", async () => {
  const env = await load();
  try {
    const session = await env.open({ id: "t", question: "When was the author of Solaris born?", answer: "1921" });
    const right = await session.reward({ answer: "1921" });
    assert.deepEqual([right.reward, right.success], [1, true]);
    const wrong = await session.reward({ answer: "1961" });
    assert.deepEqual([wrong.reward, wrong.reason], [0, "mismatch"]);
    assert.equal(env.checkTask({ id: "x", question: "q" }), "a search task needs answer");
  } finally {
    await env.close();
  }
});

test("a bad corpus line is an error naming the file and line (not JSON, no text, a repeated id), and no index is left", async () => {
  const dir = tempDir();
  const cases: [string, RegExp][] = [
    ['{"id": "a", "text": "x"}\nnot json\n', /line 2: invalid JSON/],
    ['{"id": "a", "title": "t"}\n', /line 1: "text" must be a string/],
    ['{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', /line 2: document id "a" appears twice/],
    ['{"id": 1, "text": "x"}\n{"id": "1", "text": "y"}\n', /line 2: document id "1" appears twice/],
    ["\n", /the corpus has no documents/],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const path = join(dir, `c${i}.jsonl`);
    writeFileSync(path, text);
    await assert.rejects(load({}, path), (error: Error) => error instanceof CorpusError && error.message.startsWith(path) && expected.test(error.message));
    assert.equal(existsSync(`${path}.index.sqlite`), false);
  }
  assert.deepEqual(readdirSync(dir).filter((name) => !name.endsWith(".jsonl")), []);
});

test("a search through 100,000 documents for a word they all hold does not hold up another episode's steps", async () => {
  const path = join(tempDir(), "large.jsonl");
  const words = ["river", "stone", "market", "winter", "engine", "garden", "letter", "silver", "harbor", "valley"];
  const lines: string[] = [];
  for (let i = 0; i < 100_000; i++) lines.push(JSON.stringify({ id: `d${i}`, title: `${words[i % 10]} ${i}`, text: `the ${words[(i * 7) % 10]} and the ${words[(i * 3) % 10]} of ${i}` }));
  lines.push(JSON.stringify({ id: "needle", title: "Needle", text: "the only zephyrine document" }));
  writeFileSync(path, `${lines.join("\n")}\n`);
  const env = await load({ workers: 2 }, path);
  try {
    const slow = await env.open(task);
    const other = await env.open(task);
    await other.call("search", { query: "zephyrine" }); // both threads warm
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let slowDone = 0;
    const started = performance.now();
    const stopWords = slow.call("search", { query: "the and of the river stone market winter engine garden letter silver harbor valley" }).then((result) => {
      slowDone = performance.now();
      return result;
    });
    // another episode's steps while that search runs: a search on the other thread, and open
    const found = await other.call("search", { query: "zephyrine" });
    const opened = await other.call("open", { doc_id: "needle" });
    const otherDone = performance.now();
    assert.match(found.content, /^1\. \[needle\] Needle/);
    assert.match(opened.content, /^\[needle\] Needle/);
    assert.match((await stopWords).content, /^1\. \[/);
    delay.disable();
    assert.equal(slowDone > 0 && slowDone < otherDone, false, `the other episode's steps waited for the slow search (${(otherDone - started).toFixed(0)} ms)`);
    // the event loop that drives every episode was never blocked by the search
    assert.ok(delay.max / 1e6 < 200, `event loop delayed ${(delay.max / 1e6).toFixed(0)} ms`);
  } finally {
    await env.close();
  }
});

test("an index whose meta row is not the shape acc writes (a file given in place of the corpus) is rebuilt, or refused when given as the corpus", async () => {
  const path = corpus();
  const built = await ensureSearchIndex(path);
  const db = new Database(built.path);
  const meta = JSON.parse((db.prepare("SELECT value FROM meta WHERE key = 'index'").get() as { value: string }).value) as Record<string, unknown>;
  db.prepare("UPDATE meta SET value = ? WHERE key = 'index'").run(JSON.stringify({ ...meta, documents: "many" }));
  db.close();
  // the old reader took the row as it came: the count "many", and no rebuild
  await assert.rejects(load({}, built.path), CorpusError);
  const again = await ensureSearchIndex(path);
  assert.deepEqual([again.documents, again.built], [16, true]);
});
