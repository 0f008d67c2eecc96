// npm run bench:compile [-- --mb 200]
// Compile throughput on generated search trajectories whose pages are real tool output from the shared
// samples, against the raw encode speed of the same tokenizer (Qwen3) on the same text, in the same run:
// every byte of evidence is tokenized once, so encoding is the floor. Then 2 workers against 1, and peak
// RSS at a quarter and at the full input (memory must not grow with input size). Last, long runs: tool
// outputs holding a 1,000,000-character run of one character (space, `=`, CJK), compiled against the
// same trajectories with ordinary text of the same length, and the count of each run on its own.
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { Random } from "../src/random.js";
import { BENCH_DATA, build, fromDist, mib, realTexts, timeNode } from "./common.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
const mbArg = process.argv.indexOf("--mb");
const targetMiB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;

/** Writes search-agent rows (2 opened pages of ~40 KB, 3 unopened results) until `bytes` of page text; returns the page texts' size. */
async function generate(path: string, bytes: number, texts: string[]): Promise<number> {
  const random = new Random(1, "bench-compile");
  const out = createWriteStream(path);
  let pageBytes = 0;
  const page = (i: number, k: number) => {
    let text = `Page ${i}.${k}\n`;
    while (text.length < 40_000) text += `${random.pick(texts)}\n`;
    return text;
  };
  const call = (id: string, name: string, args: unknown) => ({ id, type: "function", function: { name, arguments: JSON.stringify(args) } });
  for (let i = 0; pageBytes < bytes; i++) {
    const pages = [page(i, 0), page(i, 1)];
    pageBytes += pages.reduce((n, p) => n + Buffer.byteLength(p), 0);
    const results = JSON.stringify({ organic: [0, 1, 2, 3, 4].map((k) => ({ title: `Result ${i}.${k}`, link: `https://site${k}.example/${i}`, snippet: random.pick(texts).slice(0, 300) })) });
    const row = {
      messages: [
        { role: "user", content: `Question ${i}: what do pages ${i}.0 and ${i}.1 say?` },
        { role: "assistant", content: null, tool_calls: [call("s", "web_search", { query: `question ${i}` })] },
        { role: "tool", tool_call_id: "s", content: results },
        { role: "assistant", content: null, tool_calls: [call("a", "open_url", { url: `https://site0.example/${i}` }), call("b", "open_url", { url: `https://site1.example/${i}` })] },
        { role: "tool", tool_call_id: "a", content: pages[0] },
        { role: "tool", tool_call_id: "b", content: pages[1] },
        { role: "assistant", content: `Answer ${i}.`, reasoning_content: "Both pages were read." },
      ],
    };
    if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  return pageBytes;
}

async function rawEncode(path: string): Promise<{ bytes: number; seconds: number; cpuSeconds: number }> {
  const tokenizer = await resolveTokenizer("qwen3");
  let bytes = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for await (const event of importTrajectories([path])) {
    if (event.type !== "trajectory") continue;
    for (const m of event.trajectory.messages) {
      if (m.role !== "tool") continue;
      tokenizer.encode(m.content);
      bytes += Buffer.byteLength(m.content);
    }
  }
  return { bytes, seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: cpuSecondsSince(cpu) };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * The CPU time of one compile on one worker, in this process, from dist/: on a shared machine whose
 * load swings, CPU time compares with the raw encode's where wall time cannot.
 */
async function compileCpuSeconds(input: string): Promise<number> {
  const { compileRun } = await fromDist<typeof import("../src/compile/run.js")>("compile/run.js");
  const { DEFAULT_LENGTHS } = await fromDist<typeof import("../src/compile/lengths.js")>("compile/lengths.js");
  const out = join(BENCH_DATA, "compile-out-cpu");
  rmSync(out, { recursive: true, force: true });
  const cpu = process.cpuUsage();
  await compileRun({
    inputs: [input],
    outDir: out,
    import: { redact: "on" },
    setup: {
      tokenizer: "qwen3",
      sample: { seed: 0, lengths: DEFAULT_LENGTHS, question: "after", distractors: true, splitOversize: false, keepFailed: false, minFill: 0 },
      sources: { maxTableChars: 2_000_000, maxDirectoryDistractors: 20 },
    },
    workers: 1,
    poolMaxPieces: 4096,
    poolMaxChars: 16_000_000,
    poolMaxPieceChars: 600_000,
  });
  const seconds = cpuSecondsSince(cpu);
  rmSync(out, { recursive: true, force: true });
  return seconds;
}

mkdirSync(BENCH_DATA, { recursive: true });
if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
// the raw encode baseline runs the same built tokenizer as acc compile
const { resolveTokenizer } = await fromDist<typeof import("../src/tokenize/resolve.js")>("tokenize/resolve.js");
const { importTrajectories } = await fromDist<typeof import("../src/import/run.js")>("import/run.js");
const texts = await realTexts();
const full = join(BENCH_DATA, `compile-${targetMiB}.jsonl`);
const quarter = join(BENCH_DATA, `compile-${targetMiB / 4}.jsonl`);
await generate(full, targetMiB * 1024 * 1024, texts);
await generate(quarter, (targetMiB / 4) * 1024 * 1024, texts);

const compile = (input: string, workers: number) => {
  const out = join(BENCH_DATA, `compile-out-${workers}`);
  rmSync(out, { recursive: true, force: true });
  const result = timeNode(["dist/cli/main.js", "compile", input, "-o", out, "--workers", String(workers), "-q"]);
  const outputMiB = mib(statSync(join(out, "samples.jsonl")).size);
  rmSync(out, { recursive: true, force: true });
  return { ...result, outputMiB, summary: result.stderr.split("\n").find((l) => l.startsWith("read ")) ?? "" };
};

const raw = await rawEncode(full);
const rawMBps = mib(raw.bytes) / raw.seconds;
const one = compile(full, 1);
const two = compile(full, 2);
const small = compile(quarter, 1);
const oneCpu = await compileCpuSeconds(full);
const oneMBps = mib(raw.bytes) / one.seconds;
const twoMBps = mib(raw.bytes) / two.seconds;
console.log(`input: ${mib(statSync(full).size).toFixed(0)} MiB of trajectories, ${mib(raw.bytes).toFixed(0)} MiB of tool output (evidence and distractor text)`);
console.log(`raw Qwen3 encode (1 thread):      ${rawMBps.toFixed(2)} MiB/s`);
console.log(`compile, 1 worker:                ${oneMBps.toFixed(2)} MiB/s  = ${(oneMBps / rawMBps).toFixed(2)}x raw encode  (peak RSS ${one.peakRssMiB.toFixed(0)} MiB, ${one.outputMiB.toFixed(0)} MiB of samples) ${one.summary}`);
console.log(`  by CPU time: raw encode ${raw.cpuSeconds.toFixed(1)} s, compile (1 worker, in process) ${oneCpu.toFixed(1)} s = ${(raw.cpuSeconds / oneCpu).toFixed(2)}x raw encode`);
console.log(`compile, 2 workers:               ${twoMBps.toFixed(2)} MiB/s  = ${(twoMBps / oneMBps).toFixed(2)}x one worker  (peak RSS ${two.peakRssMiB.toFixed(0)} MiB)`);
console.log(`peak RSS, 1 worker, quarter input: ${small.peakRssMiB.toFixed(0)} MiB; full input: ${one.peakRssMiB.toFixed(0)} MiB (${(one.peakRssMiB / small.peakRssMiB).toFixed(2)}x for 4x the input)`);

/** Search rows whose opened page is one long run (or, for the baseline, ordinary text of the same length). */
async function writeRuns(path: string, pages: string[]): Promise<void> {
  const out = createWriteStream(path);
  pages.forEach((page, i) => {
    const call = (id: string, args: unknown) => ({ id, type: "function", function: { name: "open_url", arguments: JSON.stringify(args) } });
    const row = {
      messages: [
        { role: "user", content: `What does page ${i} hold?` },
        { role: "assistant", content: null, tool_calls: [call("a", { url: `https://runs.example/${i}` })] },
        { role: "tool", tool_call_id: "a", content: `Page ${i}\n${page}\nend` },
        { role: "assistant", content: `Page ${i} holds one long run.` },
      ],
    };
    out.write(`${JSON.stringify(row)}\n`);
  });
  out.end();
  await once(out, "close");
}

const RUN = 1_000_000;
const units = [" ", "=", "字"];
const runsPath = join(BENCH_DATA, "compile-runs.jsonl");
const plainPath = join(BENCH_DATA, "compile-runs-plain.jsonl");
await writeRuns(runsPath, units.map((unit) => unit.repeat(RUN)));
let plainText = "";
while (plainText.length < RUN) plainText += `${texts[plainText.length % texts.length]!}\n`;
await writeRuns(plainPath, units.map(() => plainText.slice(0, RUN)));
const runsLength = "--length=all=fixed:1100000";
const compileRuns = (input: string) => {
  const out = join(BENCH_DATA, "compile-out-runs");
  rmSync(out, { recursive: true, force: true });
  const result = timeNode(["dist/cli/main.js", "compile", input, "-o", out, "--workers", "1", "-q", runsLength, "--no-distractors"]);
  rmSync(out, { recursive: true, force: true });
  return result;
};
const withRuns = compileRuns(runsPath);
const withPlain = compileRuns(plainPath);
console.log(`long runs: compile of 3 pages of a 1,000,000-character run (space, =, 字): ${withRuns.seconds.toFixed(2)} s; the same pages of ordinary text: ${withPlain.seconds.toFixed(2)} s (${(withRuns.seconds / withPlain.seconds).toFixed(2)}x)`);
const qwen = await resolveTokenizer("qwen3");
for (const unit of units) {
  const run = unit.repeat(RUN);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const tokens = qwen.count(run);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  console.log(`  count of a 1,000,000-character run of ${JSON.stringify(unit)}: ${tokens} tokens in ${seconds.toFixed(3)} s (${((used.user + used.system) / 1e6).toFixed(3)} s CPU; first run includes building the merge tables)`);
}
