// npm run bench:search [-- --docs 100000,1000000]
// The search environment's index (SQLite FTS5 on disk, textbook BM25) against MiniSearch (an in-memory
// BM25+ index, what acc used before, rebuilt by every run), in the same run:
// 1. Ranking on the labelled set of real search-agent queries (test/fixtures/search-ranking: FireAct,
//    known-item): MRR@10, R@1, R@10 of acc's ranking, of FTS5's BM25 without stemming, and of MiniSearch.
// 2. For generated corpora of --docs documents (passages of 150–1,100 characters cut from real tool
//    output; 100k and 1M by default): acc's index build time, file size and peak RSS (a child process);
//    the time a run takes to open it (what every run pays once it is built); MiniSearch's build time and
//    peak RSS (what every run paid before; at 100k only: at 1M it needs several GiB).
// 3. Search latency on each index (the labelled queries, on worker threads as the environment runs
//    them; median and 99th percentile), and the worst case: words that every document holds.
// acc's code runs from dist/ (built first).
import { once } from "node:events";
import { copyFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import Database from "better-sqlite3";
import MiniSearch from "minisearch";
import { build, clock, fromDist, median, mib, realTexts, REPO, timeNode } from "./common.js";

build();
const { DEFAULT_SEARCH_OPTIONS, SearchEnvironment } = await fromDist<typeof import("../src/envs/search.js")>("envs/search.js");
const { matchExpression } = await fromDist<typeof import("../src/envs/search-index.js")>("envs/search-index.js");
const { Random } = await fromDist<typeof import("../src/random.js")>("random.js");

const docsArg = process.argv.indexOf("--docs");
const SIZES = (docsArg > 0 ? process.argv[docsArg + 1]! : "100000,1000000").split(",").map(Number);
const SET = join(REPO, "test/fixtures/search-ranking");
const work = mkdtempSync(join(tmpdir(), "acc-bench-search-"));

const gunzipLines = <T>(file: string): T[] =>
  gunzipSync(readFileSync(file))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as T);
const labelled = gunzipLines<{ id: string; text: string }>(join(SET, "corpus.jsonl.gz"));
const queries = gunzipLines<{ query: string; relevant: string }>(join(SET, "queries.jsonl.gz"));

function scores(search: (query: string) => string[]): string {
  let reciprocal = 0;
  let first = 0;
  let top10 = 0;
  for (const { query, relevant } of queries) {
    const rank = search(query).indexOf(relevant);
    if (rank === -1) continue;
    reciprocal += 1 / (rank + 1);
    top10++;
    if (rank === 0) first++;
  }
  const n = queries.length;
  return `MRR@10 ${(reciprocal / n).toFixed(3)}  R@1 ${(first / n).toFixed(3)}  R@10 ${(top10 / n).toFixed(3)}`;
}

async function ranking(): Promise<void> {
  const corpus = join(work, "labelled.jsonl.gz");
  copyFileSync(join(SET, "corpus.jsonl.gz"), corpus);
  const env = await SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus });
  const accHits = new Map<string, string[]>();
  for (const { query } of queries) accHits.set(query, (await env.search(query, 10)).map((hit) => hit.id));
  await env.close();
  const plain = new Database(":memory:");
  plain.exec("CREATE VIRTUAL TABLE fts USING fts5(id UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 2')");
  const insert = plain.prepare("INSERT INTO fts (id, text) VALUES (?, ?)");
  for (const doc of labelled) insert.run(doc.id, doc.text);
  const plainSearch = plain.prepare("SELECT id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts), id LIMIT 10");
  const mini = new MiniSearch<{ id: string; title: string; text: string }>({ fields: ["title", "text"], storeFields: [], idField: "id" });
  mini.addAll(labelled.map((doc) => ({ ...doc, title: "" })));
  console.log(`ranking: ${queries.length} real search-agent queries against ${labelled.length} passages (test/fixtures/search-ranking), known-item:`);
  console.log(`  acc (FTS5 BM25, k1 1.2, b 0.75, Porter stemming)   ${scores((query) => accHits.get(query)!)}`);
  console.log(
    `  FTS5 BM25 without stemming                          ${scores((query) => {
      const match = matchExpression(query);
      return match ? (plainSearch.all(match) as { id: string }[]).map((row) => row.id) : [];
    })}`,
  );
  console.log(
    `  MiniSearch BM25+ (k 1.2, b 0.7, d 0.5; acc before)  ${scores((query) =>
      mini
        .search(query, { combineWith: "OR", prefix: false, fuzzy: false })
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, 10)
        .map((hit) => String(hit.id)),
    )}`,
  );
}

/** A JSONL corpus of `count` passages of 150–1,100 characters cut from the real texts. */
async function corpusOf(count: number, texts: string[]): Promise<string> {
  const path = join(work, `corpus-${count}.jsonl`);
  const out = createWriteStream(path);
  const random = new Random("bench", "search-corpus");
  for (let i = 0; i < count; i++) {
    const source = random.pick(texts);
    const length = random.int(150, 1100);
    const start = random.int(0, Math.max(0, source.length - length));
    const text = source.slice(start, start + length);
    const title = `${(text.match(/[A-Za-z]{3,}/g) ?? ["passage"]).slice(0, 3).join(" ")} ${i}`;
    if (!out.write(`${JSON.stringify({ id: `d${i}`, title, text })}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  return path;
}

const child = (code: string) => timeNode(["--input-type=module", "-e", code]);

function accBuild(corpus: string): { seconds: number; peakRssMiB: number; indexMiB: number } {
  const url = JSON.stringify(`file://${join(REPO, "dist/envs/search-index.js")}`);
  const run = child(`const { ensureSearchIndex } = await import(${url}); await ensureSearchIndex(${JSON.stringify(corpus)});`);
  return { seconds: run.seconds, peakRssMiB: run.peakRssMiB, indexMiB: mib(statSync(`${corpus}.index.sqlite`).size) };
}

function miniSearchBuild(corpus: string): { seconds: number; peakRssMiB: number } {
  const code = `
    import MiniSearch from "minisearch";
    import { createReadStream } from "node:fs";
    import { createInterface } from "node:readline";
    const index = new MiniSearch({ fields: ["title", "text"], storeFields: [], idField: "id" });
    for await (const line of createInterface({ input: createReadStream(${JSON.stringify(corpus)}) })) if (line) index.add(JSON.parse(line));`;
  return child(code);
}

async function latencies(corpus: string): Promise<{ openMs: number; p50: number; p99: number; stopWordsMs: number }> {
  const { value: env, seconds } = await clock(() => SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus }));
  try {
    const times: number[] = [];
    for (const { query } of queries.slice(0, 400)) {
      const start = performance.now();
      await env.search(query, 5);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const start = performance.now();
    await env.search("the a of and to in is", 5);
    return { openMs: seconds * 1000, p50: median(times), p99: times[Math.floor(times.length * 0.99)]!, stopWordsMs: performance.now() - start };
  } finally {
    await env.close();
  }
}

try {
  await ranking();
  const texts = await realTexts();
  for (const count of SIZES) {
    const corpus = await corpusOf(count, texts);
    const corpusMiB = mib(statSync(corpus).size);
    console.log(`${count.toLocaleString("en")} documents (${corpusMiB.toFixed(0)} MiB of JSONL):`);
    const acc = accBuild(corpus);
    console.log(`  acc index build (once)     ${acc.seconds.toFixed(1)} s, peak RSS ${acc.peakRssMiB.toFixed(0)} MiB, index file ${acc.indexMiB.toFixed(0)} MiB`);
    const timing = await latencies(corpus);
    console.log(`  acc index open (each run)  ${timing.openMs.toFixed(0)} ms (two search threads started)`);
    console.log(`  acc search                 median ${timing.p50.toFixed(1)} ms, p99 ${timing.p99.toFixed(1)} ms (400 agent queries, k 5); words every document holds: ${timing.stopWordsMs.toFixed(0)} ms on a search thread`);
    if (count <= 200_000) {
      const mini = miniSearchBuild(corpus);
      console.log(`  MiniSearch build (each run) ${mini.seconds.toFixed(1)} s, peak RSS ${mini.peakRssMiB.toFixed(0)} MiB: acc opens its index ${(mini.seconds / (timing.openMs / 1000)).toFixed(0)}x faster`);
    }
    rmSync(corpus, { force: true });
    rmSync(`${corpus}.index.sqlite`, { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
