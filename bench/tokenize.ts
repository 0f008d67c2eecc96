// npm run bench:tokenize [-- --mb 4]
// Raw encode MB/s of the bundled Qwen3 tokenizer (tiktoken's BPE over its rank table) against
// @huggingface/tokenizers on the same tokenizer.json and the same text, in the same run; also the
// worker pool on 2 threads and o200k_base. Then the rank-table merge against tiktoken's WebAssembly
// (what acc ran before the rank tables) for o200k_base and Qwen3, in interleaved rounds of CPU time: counting
// the text by pieces with a fresh piece memory (tiktoken or the table merging the pieces not yet seen),
// and merging every distinct short piece of the text once (no memory: unseen pieces only).
// Text: the string values of the trajectory samples (tool outputs, files, messages), else TypeScript's
// lib .d.ts files. acc's code runs from dist/ (built first).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { loadavg } from "node:os";
import { build, fromDist, median, REPO } from "./common.js";

build();
const { HfTokenizersCodec } = await fromDist<typeof import("../src/tokenize/hf-tokenizers.js")>("tokenize/hf-tokenizers.js");
const { loadOpenAiEncoding } = await fromDist<typeof import("../src/tokenize/openai.js")>("tokenize/openai.js");
const { TokenizerPool } = await fromDist<typeof import("../src/tokenize/tokenizer-pool.js")>("tokenize/tokenizer-pool.js");
const { QWEN3_DIR, loadQwen3 } = await fromDist<typeof import("../src/tokenize/qwen3.js")>("tokenize/qwen3.js");
const { measureEncodeThroughput } = await fromDist<typeof import("../src/tokenize/throughput.js")>("tokenize/throughput.js");
const { bundledRankSources } = await fromDist<typeof import("../src/tokenize/bundled-rank-tables.js")>("tokenize/bundled-rank-tables.js");
const { RankTable, rankTableBytes } = await fromDist<typeof import("../src/tokenize/rank-table.js")>("tokenize/rank-table.js");
const { TableBpe } = await fromDist<typeof import("../src/tokenize/table-bpe.js")>("tokenize/table-bpe.js");
const { HeapBpe } = await fromDist<typeof import("../src/tokenize/heap-bpe.js")>("tokenize/heap-bpe.js");
const { asciiPieces } = await fromDist<typeof import("../src/tokenize/ascii-pieces.js")>("tokenize/ascii-pieces.js");
const { jsPreTokenizer, LONG_PIECE_CHARS, PieceCoder, splitsAtLines } = await fromDist<typeof import("../src/tokenize/pieces.js")>("tokenize/pieces.js");
const { tiktokenClass } = await fromDist<typeof import("../src/tokenize/tiktoken-wasm.js")>("tokenize/tiktoken-wasm.js");

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
const mbArg = process.argv.indexOf("--mb");
const targetBytes = (mbArg > 0 ? Number(process.argv[mbArg + 1]) : 4) * 1e6;
const CHUNK_BYTES = 32 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

function strings(value: unknown, out: string[]): void {
  if (typeof value === "string") {
    if (value.length >= 64) out.push(value);
  } else if (Array.isArray(value)) value.forEach((item) => strings(item, out));
  else if (typeof value === "object" && value !== null) Object.values(value).forEach((item) => strings(item, out));
}

/** Distinct long strings from the samples' JSON, or TypeScript's lib files; no repeats (tokenizer caches would flatter). */
function corpusTexts(): { source: string; texts: string[] } {
  const texts: string[] = [];
  try {
    for (const file of files(SAMPLES).filter((f) => /\.jsonl?$/.test(f))) {
      const content = readFileSync(file, "utf8");
      const docs = file.endsWith(".jsonl") ? content.split("\n").filter((l) => l.trim() !== "") : [content];
      for (const doc of docs) {
        try {
          strings(JSON.parse(doc), texts);
        } catch {
          // a sample line that is not JSON adds nothing to the corpus
        }
      }
    }
    if (texts.length > 0) return { source: SAMPLES, texts: [...new Set(texts)] };
  } catch {
    // no samples: fall through to the TypeScript library files
  }
  const lib = join(REPO, "node_modules/typescript/lib");
  return { source: lib, texts: files(lib).filter((f) => f.endsWith(".d.ts")).map((f) => readFileSync(f, "utf8")) };
}

/** Newline-aligned chunks of about CHUNK_BYTES, up to targetBytes in all. */
function chunks(texts: string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const text of texts) {
    for (let start = 0; start < text.length && total < targetBytes; ) {
      let end = Math.min(text.length, start + CHUNK_BYTES);
      const newline = text.indexOf("\n", end);
      end = newline < 0 || newline - end > 4096 ? end : newline + 1;
      const chunk = text.slice(start, end);
      out.push(chunk);
      total += Buffer.byteLength(chunk);
      start = end;
    }
  }
  return out;
}

const { source, texts } = corpusTexts();
const corpus = chunks(texts);
const bytes = corpus.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
console.log(`text: ${(bytes / 1e6).toFixed(1)} MB in ${corpus.length} chunks from ${source}`);

const qwen3 = await loadQwen3();
const jsonText = gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz"))).toString("utf8");
const hf = new HfTokenizersCodec(JSON.parse(jsonText), JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")));

const fast = measureEncodeThroughput(qwen3, corpus);
const baseline = measureEncodeThroughput(hf, corpus);
const mismatched = corpus.filter((text) => {
  const a = qwen3.encode(text);
  const b = hf.encode(text);
  return a.length !== b.length || a.some((id, i) => id !== b[i]);
}).length;

const pool = new TokenizerPool("qwen3", 2);
await pool.count(["warm up both workers", "so loading is not timed"]);
const start = process.hrtime.bigint();
const pooledTokens = (await pool.count(corpus)).reduce((sum, n) => sum + n, 0);
const pooledSeconds = Number(process.hrtime.bigint() - start) / 1e9;
await pool.close();
const o200k = measureEncodeThroughput(await loadOpenAiEncoding("o200k_base"), corpus);

console.log("tokenizer | MB/s | tokens | ratio");
console.log(`@huggingface/tokenizers (qwen3 tokenizer.json, baseline) | ${baseline.mbPerSecond.toFixed(2)} | ${baseline.tokens} | 1.00x`);
console.log(`qwen3, tiktoken's BPE over the rank table of the converted ranks | ${fast.mbPerSecond.toFixed(2)} | ${fast.tokens} | ${(fast.mbPerSecond / baseline.mbPerSecond).toFixed(2)}x`);
console.log(
  `qwen3, TokenizerPool 2 threads | ${(bytes / 1e6 / pooledSeconds).toFixed(2)} | ${pooledTokens} | ${(bytes / 1e6 / pooledSeconds / baseline.mbPerSecond).toFixed(2)}x (${(bytes / 1e6 / pooledSeconds / fast.mbPerSecond).toFixed(2)}x one thread)`,
);
console.log(`o200k_base, tiktoken's BPE over its rank table | ${o200k.mbPerSecond.toFixed(2)} | ${o200k.tokens} | -`);
console.log(`chunks whose ids differ between the two qwen3 implementations: ${mismatched} of ${corpus.length}`);
if (mismatched > 0 || pooledTokens !== fast.tokens) process.exitCode = 1;

const ROUNDS = 5;
const cpuMs = (work: () => void): number => {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const sources = await bundledRankSources();
console.log(`\nrank-table merge (acc) against tiktoken's WebAssembly merge, ${ROUNDS} interleaved rounds, CPU time, medians (load ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`);
console.log("encoding | text | tiktoken | rank table | ratio (tiktoken / table)");
for (const name of ["o200k_base", "qwen3"] as const) {
  const { ranks, meta } = sources.get(name)!;
  const table = RankTable.read(rankTableBytes(ranks, meta), meta.sourceSha256);
  const splitter = jsPreTokenizer(meta.pattern);
  const bpe = new (tiktokenClass())(ranks, {}, "[\\s\\S]+");
  const short = new TableBpe(table);
  const heap = new HeapBpe(table);
  const coder = (merge: (piece: string) => ArrayLike<number>) =>
    new PieceCoder(splitter, { short: merge, long: () => heap }, splitsAtLines(meta.pattern), asciiPieces(meta.pattern, splitter));
  const pieces = [...new Set(corpus.flatMap((text) => text.match(splitter) ?? []))].filter((piece) => piece.length <= LONG_PIECE_CHARS);
  const rows: Record<string, (() => void)[]> = {
    [`count by pieces, ${(bytes / 1e6).toFixed(1)} MB, fresh memory`]: [() => coder((piece) => bpe.encode_ordinary(piece)), () => coder((piece) => short.encodePiece(piece))].map(
      (make) => () => {
        const pieceCoder = make();
        for (const text of corpus) pieceCoder.count(text);
      },
    ),
  };
  const ascii = pieces.filter((piece) => /^[\x00-\x7f]*$/.test(piece));
  const classes: [string, string[]][] = [
    ["distinct pieces", pieces],
    ["distinct ASCII pieces", ascii],
    ["distinct pieces with other characters", pieces.filter((piece) => !ascii.includes(piece))],
    ["distinct pieces of 17-256 characters", pieces.filter((piece) => piece.length > 16)],
  ];
  for (const [what, some] of classes) {
    rows[`${some.length} ${what}, each merged once`] = [
      () => {
        for (const piece of some) bpe.encode_ordinary(piece);
      },
      () => {
        for (const piece of some) short.encodePiece(piece);
      },
    ];
  }
  for (const [text, [tiktoken, rankTable]] of Object.entries(rows)) {
    const times: [number, number][] = [];
    for (let round = 0; round < ROUNDS; round++) times.push([cpuMs(tiktoken!), cpuMs(rankTable!)]);
    const ratio = median(times.map(([a, b]) => a / b));
    console.log(`${name} | ${text} | ${median(times.map(([a]) => a)).toFixed(0)} ms | ${median(times.map(([, b]) => b)).toFixed(0)} ms | ${ratio.toFixed(2)}x`);
  }
  const differing = pieces.filter((piece) => {
    const a = bpe.encode_ordinary(piece);
    const b = short.encodePiece(piece);
    return a.length !== b.length || b.some((id, i) => id !== a[i]);
  }).length;
  console.log(`${name}: pieces whose ids differ between tiktoken and the rank table: ${differing} of ${pieces.length}`);
  if (differing > 0) process.exitCode = 1;
  bpe.free();
}
