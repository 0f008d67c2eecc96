// npm run bench:tokenize [-- --mb 4]
// Raw encode MB/s of the bundled Qwen3 tokenizer (tiktoken + converted ranks) against
// @huggingface/tokenizers on the same tokenizer.json and the same text, in the same run; also the
// worker pool on 2 threads and o200k_base. Text: the string values of the trajectory samples (tool
// outputs, files, messages), else TypeScript's lib .d.ts files. acc's code runs from dist/ (built first).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { build, fromDist, REPO } from "./common.js";

build();
const { HfTokenizersCodec } = await fromDist<typeof import("../src/tokenize/hf-tokenizers.js")>("tokenize/hf-tokenizers.js");
const { loadOpenAiEncoding } = await fromDist<typeof import("../src/tokenize/openai.js")>("tokenize/openai.js");
const { TokenizerPool } = await fromDist<typeof import("../src/tokenize/tokenizer-pool.js")>("tokenize/tokenizer-pool.js");
const { QWEN3_DIR, loadQwen3 } = await fromDist<typeof import("../src/tokenize/qwen3.js")>("tokenize/qwen3.js");
const { measureEncodeThroughput } = await fromDist<typeof import("../src/tokenize/throughput.js")>("tokenize/throughput.js");

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
console.log(`qwen3 via tiktoken + converted ranks | ${fast.mbPerSecond.toFixed(2)} | ${fast.tokens} | ${(fast.mbPerSecond / baseline.mbPerSecond).toFixed(2)}x`);
console.log(
  `qwen3, TokenizerPool 2 threads | ${(bytes / 1e6 / pooledSeconds).toFixed(2)} | ${pooledTokens} | ${(bytes / 1e6 / pooledSeconds / baseline.mbPerSecond).toFixed(2)}x (${(bytes / 1e6 / pooledSeconds / fast.mbPerSecond).toFixed(2)}x one thread)`,
);
console.log(`o200k_base via tiktoken | ${o200k.mbPerSecond.toFixed(2)} | ${o200k.tokens} | -`);
console.log(`chunks whose ids differ between the two qwen3 implementations: ${mismatched} of ${corpus.length}`);
if (mismatched > 0 || pooledTokens !== fast.tokens) process.exitCode = 1;
