// npm run bench:privacy [-- --mb 64]
// 1. The secret scan: MB/s over every string of the real samples' trajectories, against plain reading
//    (JSON.parse), the floor (one table read per character) and the scanner before issue 15, in the
//    same run, interleaved.
// 2. Redaction: MB/s of reading agent-log rows (read lines + JSON.parse) and redacting every string in
//    them, against plain reading of the same file in the same run; and `acc import` with --redact on
//    against off.
// 3. Decontamination: MB/s of checking compiled samples against an indexed MRCR + GraphWalks eval set,
//    against plain reading of the same samples file; and index building against reading the eval file.
// 4. `acc compile` with --redact on against --redact off on the same input in the same run (target ≥ 0.8×).
// Inputs are built from the real tool outputs of the shared samples (or this repo's sources when absent).
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { generateGraphwalks } from "../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../src/evals/graphwalks.js";
import { mrcrEval } from "../src/evals/mrcr.js";
import { o200k } from "../src/evals/tokens.js";
import { importTrajectories } from "../src/import/run.js";
import { Random } from "../src/random.js";
import { BENCH_DATA, build, fromDist, interleavedRounds, median, medianRatio, mib, REPO, timeNode } from "./common.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
const mbArg = process.argv.indexOf("--mb");
const targetMiB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 64;
const random = new Random(1, "bench-privacy");

/** Real tool output: the samples' tool results, or this repository's source files. */
async function realTexts(): Promise<string[]> {
  const texts: string[] = [];
  if (existsSync(SAMPLES)) {
    for await (const event of importTrajectories([SAMPLES])) {
      if (event.type !== "trajectory") continue;
      for (const m of event.trajectory.messages) if (m.role === "tool" && m.content.length > 200) texts.push(m.content);
    }
    return texts;
  }
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(join(import.meta.dirname, "../src")).map((path) => readFileSync(path, "utf8"));
}

/** Every trajectory of the shared samples (imported without redaction), one JSON row each; this repository's sources when absent. */
async function sampleRows(): Promise<string[]> {
  if (!existsSync(SAMPLES)) return (await realTexts()).map((text) => JSON.stringify({ text }));
  const rows: string[] = [];
  for await (const event of importTrajectories([SAMPLES], { redact: "off" })) if (event.type === "trajectory") rows.push(JSON.stringify(event.trajectory));
  return rows;
}

/** Every string inside a JSON value. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) yield* strings(item);
}

/** The scanner before issue 15: its four modules taken from git and compiled by tsc as dist/ is. */
const BEFORE = "c76beba";
async function scannerAt(commit: string): Promise<(text: string) => unknown[]> {
  const dir = join(BENCH_DATA, `scanner-${commit}`);
  if (!existsSync(join(dir, "out/scan.js"))) {
    mkdirSync(join(dir, "src"), { recursive: true });
    for (const file of ["scan", "detectors", "values", "types"]) {
      writeFileSync(join(dir, "src", `${file}.ts`), execFileSync("git", ["-C", REPO, "show", `${commit}:src/privacy/${file}.ts`], { encoding: "utf8" }));
    }
    const tsc = join(REPO, "node_modules/typescript/bin/tsc");
    const options = ["--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2023", "--types", "node", "--skipLibCheck", "--strict", "--outDir", join(dir, "out")];
    writeFileSync(join(dir, "package.json"), '{"type": "module"}');
    execFileSync(process.execPath, [tsc, ...options, join(dir, "src/scan.ts")], { cwd: REPO, stdio: "inherit" });
  }
  return ((await import(join(dir, "out/scan.js"))) as { findSecrets: (text: string) => unknown[] }).findSecrets;
}

const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[random.int(0, 15)]).join("");
/** One secret in about every tenth tool output, as agent logs have them. */
function maybeSecret(): string {
  if (random.next() > 0.1) return "";
  return random.pick([
    () => `\nexport OPENAI_API_KEY=sk-proj-${hex(48)}`,
    () => `\nAWS_ACCESS_KEY_ID=AKIA${hex(16).toUpperCase()}`,
    () => `\nFile "/home/dev${random.int(1, 99)}/app/main.py", line 3`,
    () => `\ncontact: dev${random.int(1, 999)}@acme-corp.io`,
    () => `\nDATABASE_URL=postgres://app:${hex(12)}Z9@db:5432/app`,
  ])();
}

async function writeLines(path: string, bytes: number, line: () => string): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; ) {
    const text = `${line()}\n`;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
}

/** Search-agent rows (OpenAI chat), two opened pages of ~40 KB each: the shape `acc compile` reads. */
function searchRow(texts: string[], i: number): string {
  const page = () => {
    let text = `Page ${i}\n`;
    while (text.length < 40_000) text += `${random.pick(texts)}${maybeSecret()}\n`;
    return text;
  };
  const call = (id: string, name: string, args: unknown) => ({ id, type: "function", function: { name, arguments: JSON.stringify(args) } });
  return JSON.stringify({
    messages: [
      { role: "user", content: `Question ${i}: what do the pages say?` },
      { role: "assistant", content: null, tool_calls: [call("a", "open_url", { url: `https://site0.example/${i}` }), call("b", "open_url", { url: `https://site1.example/${i}` })] },
      { role: "tool", tool_call_id: "a", content: page() },
      { role: "tool", tool_call_id: "b", content: page() },
      { role: "assistant", content: `Answer ${i}.`, reasoning_content: "Both pages were read." },
    ],
  });
}

/** Acc samples of ~60 KB of real text, some carrying a passage of an eval item. */
function sampleRow(texts: string[], evalTexts: string[], i: number): string {
  let text = "";
  while (text.length < 60_000) text += `${random.pick(texts)}\n`;
  if (i % 20 === 0) text += `\n${random.pick(evalTexts).slice(0, 2000)}\n`;
  return JSON.stringify({
    schema: "acc.sample",
    schema_version: "1.0.0",
    id: `sample-${i}`,
    messages: [
      { role: "user", content: text },
      { role: "assistant", content: `Answer ${i}.`, reasoning: "From the documents." },
    ],
    target: { answer: `Answer ${i}.`, reasoning: "From the documents.", answer_origin: "agent_final", reasoning_origin: "agent_final" },
    meta: {
      trajectory_id: `t${i}`, domain: "search", seed: 0, tokenizer: "qwen3", target_tokens: 32000, prompt_tokens: 16000,
      evidence_count: 1, context_count: 0, distractor_count: 0, pool_distractor_count: 0, question_position: "after",
      split_pieces: [], pieces: [], task: { question: "Q?", ground_truth: null },
    },
  });
}

/** Seconds to read `path` line by line, calling `each` on every parsed row. */
async function timeRows(path: string, each: (row: unknown) => void): Promise<number> {
  const start = process.hrtime.bigint();
  let pending = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (line) each(JSON.parse(line));
  }
  if (pending) each(JSON.parse(pending));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const best = async (runs: number, f: () => Promise<number>) => {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) min = Math.min(min, await f());
  return min;
};

mkdirSync(BENCH_DATA, { recursive: true });
build();
// what is timed in this process runs from dist/ too
const { decontaminate } = await fromDist<typeof import("../src/privacy/decontaminate.js")>("privacy/decontaminate.js");
const { Redactor } = await fromDist<typeof import("../src/privacy/redactor.js")>("privacy/redactor.js");
const texts = await realTexts();

// 1. The secret scan on real agent logs: every string of every trajectory of the shared samples, in
//    memory, interleaved rounds. Baselines in the same run: parsing the same rows (plain reading), one
//    pass that folds every character and reads one table entry for it (the floor: the work any
//    one-pass keyword scan, an Aho-Corasick automaton included, does per character), and the scanner
//    before issue 15, compiled from its commit.
const rows = await sampleRows();
const rowBytes = rows.reduce((n, row) => n + Buffer.byteLength(row) + 1, 0);
const parsed = rows.map((row) => JSON.parse(row) as unknown);
const rowStrings = parsed.flatMap((row) => [...strings(row)]);
const { findSecrets } = await fromDist<typeof import("../src/privacy/scan.js")>("privacy/scan.js");
const before = await scannerAt(BEFORE);
// Enough passes per run for ~64 MB (or --mb) of rows.
const passes = Math.max(1, Math.round((targetMiB * 1024 * 1024) / rowBytes));
// A transition table with varied states, so every read depends on the one before.
const table = Uint8Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 25);
let sink = 0;
const scanRun = (work: () => void) => async () => {
  const start = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: (rowBytes * passes) / 1e6 / seconds, units: passes };
};
const scanResults = await interleavedRounds(
  {
    parse: scanRun(() => rows.forEach((row) => JSON.parse(row))),
    floor: scanRun(() => {
      for (const text of rowStrings) {
        let state = 0;
        for (let i = 0; i < text.length; i++) state = table[((state << 7) ^ (text.charCodeAt(i) | 32)) & 0xffff]!;
        sink += state;
      }
    }),
    before: scanRun(() => rowStrings.forEach((text) => (sink += before(text).length))),
    now: scanRun(() => rowStrings.forEach((text) => (sink += findSecrets(text).length))),
  },
  5,
);
// Per core: MB per CPU second (the machine may be shared; CPU time is what a core spent), median over rounds.
const perCore = (name: keyof typeof scanResults) => median(scanResults[name].map((r) => rowBytes / r.cpuMicros));
const against = (a: keyof typeof scanResults, b: keyof typeof scanResults) => medianRatio(scanResults[b], scanResults[a], (r) => r.cpuMicros).toFixed(2);
const found = rowStrings.reduce((n, text) => n + findSecrets(text).length, 0);
const foundBefore = rowStrings.reduce((n, text) => n + before(text).length, 0);
console.log(`scan input: ${rows.length} trajectories of the shared samples (${(rowBytes / 1e6).toFixed(1)} MB of JSONL, ${rowStrings.length} strings), ${passes} passes per run, median of 5 interleaved rounds (checksum ${sink % 10})`);
console.log("MB per CPU second (one core):");
console.log(`  plain reading (JSON.parse):             ${perCore("parse").toFixed(0)}`);
console.log(`  floor (fold + one table read per char): ${perCore("floor").toFixed(0)}`);
console.log(`  scanner before issue 15 (${BEFORE}):     ${perCore("before").toFixed(0)} (${foundBefore} findings)`);
console.log(`  scanner now:                            ${perCore("now").toFixed(0)} (${found} findings; target 250)`);
console.log(`  now against before ${against("now", "before")}x, against the floor ${against("now", "floor")}x, against plain reading ${against("now", "parse")}x`);

// 2. Redaction inside a whole stage: agent-log rows built from real tool output, read + parse +
//    redact every string against read + parse, and `acc import` with --redact on against off.
const logs = join(BENCH_DATA, `privacy-logs-${targetMiB}.jsonl`);
await writeLines(logs, targetMiB * 1024 * 1024, (() => {
  let i = 0;
  return () => searchRow(texts, i++);
})());
const logMiB = mib(statSync(logs).size);
const readSeconds = await best(2, () => timeRows(logs, () => {}));
let findings = 0;
const redactSeconds = await best(2, () => {
  findings = 0;
  return timeRows(logs, (row) => {
    const redactor = new Redactor("on");
    redactor.value(row);
    for (const n of Object.values(redactor.counts)) findings += n ?? 0;
  });
});
console.log(`input: ${logMiB.toFixed(0)} MiB of agent-log rows built from real tool output (${findings} secrets found)`);
console.log(`plain reading (lines + JSON.parse):  ${(logMiB / readSeconds).toFixed(1)} MiB/s`);
console.log(`reading + redaction:                 ${(logMiB / redactSeconds).toFixed(1)} MiB/s = ${(readSeconds / redactSeconds).toFixed(2)}x plain reading`);
const importRun = (redact: string) => {
  const out = join(BENCH_DATA, `privacy-import-${redact}.jsonl`);
  const result = timeNode(["dist/cli/main.js", "import", logs, "-o", out, "--redact", redact, "-q"]);
  rmSync(out, { force: true });
  rmSync(`${out}.rejects.jsonl`, { force: true });
  return result.seconds;
};
const importOff = importRun("off");
const importOn = importRun("on");
console.log(`acc import (whole stage): --redact off ${(logMiB / importOff).toFixed(1)} MiB/s, on ${(logMiB / importOn).toFixed(1)} MiB/s = ${(importOff / importOn).toFixed(2)}x`);

// 3. Decontamination.
const tokenizer = await o200k();
const mrcr = mrcrEval();
const graphwalks = graphwalksEval();
const mrcrItems = [...generateMrcr({ tokenizer, seed: 1, tokens: [32_000, 64_000], perSize: 4, needles: [2, 4] })];
const gwItems = [...generateGraphwalks({ seed: 1, promptChars: [100_000, 400_000], perSize: 8 })];
const evalPath = join(BENCH_DATA, "privacy-eval-mrcr.jsonl");
const gwPath = join(BENCH_DATA, "privacy-eval-graphwalks.jsonl");
writeFileSync(evalPath, `${mrcrItems.map((item) => JSON.stringify(mrcr.toRow(item))).join("\n")}\n`);
writeFileSync(gwPath, `${gwItems.map((item) => JSON.stringify(graphwalks.toRow(item))).join("\n")}\n`);
const evalTexts = mrcrItems.flatMap((item) => item.messages.map((m) => m.content));
const samplesPath = join(BENCH_DATA, `privacy-samples-${targetMiB}.jsonl`);
await writeLines(samplesPath, targetMiB * 1024 * 1024, (() => {
  let i = 0;
  return () => sampleRow(texts, evalTexts, i++);
})());
const samplesMiB = mib(statSync(samplesPath).size);
const evalMiB = mib(statSync(evalPath).size + statSync(gwPath).size);
const readSamples = await best(2, () => timeRows(samplesPath, () => {}));
const readEval = await best(2, async () => (await timeRows(evalPath, () => {})) + (await timeRows(gwPath, () => {})));
const outDir = join(BENCH_DATA, "privacy-decontaminated");
let report: Awaited<ReturnType<typeof decontaminate>> | undefined;
let indexSeconds = 0;
const decontaminateSeconds = await best(2, async () => {
  const start = process.hrtime.bigint();
  let indexed = start;
  report = await decontaminate({
    samples: samplesPath,
    against: [evalPath, gwPath],
    outDir,
    ngram: 13,
    mode: "drop",
    onIndexed: () => {
      indexed = process.hrtime.bigint();
    },
  });
  indexSeconds = Number(indexed - start) / 1e9;
  return Number(process.hrtime.bigint() - indexed) / 1e9;
});
rmSync(outDir, { recursive: true, force: true });
const ngrams = report!.eval_sets.reduce((n, s) => n + s.ngrams, 0);
const indexMiB = mib(report!.eval_sets.reduce((n, s) => n + s.index_bytes, 0));
console.log(`eval sets: ${evalMiB.toFixed(1)} MiB (${mrcrItems.length} MRCR, ${gwItems.length} GraphWalks items), ${ngrams} distinct 13-grams in ${indexMiB.toFixed(1)} MiB of index`);
console.log(`  plain reading: ${(evalMiB / readEval).toFixed(1)} MiB/s; reading + indexing: ${(evalMiB / indexSeconds).toFixed(1)} MiB/s = ${(readEval / indexSeconds).toFixed(2)}x`);
console.log(`samples: ${samplesMiB.toFixed(0)} MiB, ${report!.read} samples, ${report!.dropped} overlapping`);
console.log(`  plain reading: ${(samplesMiB / readSamples).toFixed(1)} MiB/s; decontamination: ${(samplesMiB / decontaminateSeconds).toFixed(1)} MiB/s = ${(readSamples / decontaminateSeconds).toFixed(2)}x plain reading`);

// 4. Compile with redaction on against off.
const compileInput = join(BENCH_DATA, "privacy-compile.jsonl");
await writeLines(compileInput, 12 * 1024 * 1024, (() => {
  let i = 0;
  return () => searchRow(texts, i++);
})());
const compile = (redact: string) => {
  const out = join(BENCH_DATA, `privacy-compile-${redact}`);
  rmSync(out, { recursive: true, force: true });
  const result = timeNode(["dist/cli/main.js", "compile", compileInput, "-o", out, "--redact", redact, "-q"]);
  rmSync(out, { recursive: true, force: true });
  return result;
};
const off = Math.min(compile("off").seconds, compile("off").seconds);
const on = Math.min(compile("on").seconds, compile("on").seconds);
console.log(`acc compile of ${mib(statSync(compileInput).size).toFixed(0)} MiB (2 workers): --redact off ${off.toFixed(1)} s, on ${on.toFixed(1)} s = ${(off / on).toFixed(2)}x (target ≥ 0.8x)`);
