import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { DEFAULT_SEARCH_OPTIONS, SearchEnvironment } from "../../src/envs/index.js";
import { tempDir } from "../helpers/collect.js";

const SET = join(import.meta.dirname, "../fixtures/search-ranking");

test("ranking on real search-agent queries (FireAct, known-item): MRR@10 and recall hold at what textbook BM25 with stemming reaches", async () => {
  const corpus = join(tempDir(), "corpus.jsonl.gz");
  copyFileSync(join(SET, "corpus.jsonl.gz"), corpus);
  const queries = gunzipSync(readFileSync(join(SET, "queries.jsonl.gz")))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { query: string; relevant: string });
  assert.equal(queries.length, 1698);
  const env = await SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus });
  try {
    let reciprocal = 0;
    let first = 0;
    let top10 = 0;
    for (const { query, relevant } of queries) {
      const rank = (await env.search(query, 10)).findIndex((hit) => hit.id === relevant);
      if (rank === -1) continue;
      reciprocal += 1 / (rank + 1);
      top10++;
      if (rank === 0) first++;
    }
    // measured 0.702 / 0.598 / 0.880; MiniSearch's BM25+ (acc before) reached 0.625 / 0.527 / 0.813,
    // FTS5's BM25 without stemming 0.662 / 0.558 / 0.848 (bench:search prints them all)
    assert.ok(reciprocal / queries.length >= 0.69, `MRR@10 ${(reciprocal / queries.length).toFixed(3)}`);
    assert.ok(first / queries.length >= 0.58, `R@1 ${(first / queries.length).toFixed(3)}`);
    assert.ok(top10 / queries.length >= 0.87, `R@10 ${(top10 / queries.length).toFixed(3)}`);
  } finally {
    await env.close();
  }
});
