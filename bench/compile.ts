// npm run bench:compile [-- --mb 200]
// Compile throughput on generated search trajectories whose pages are real tool output from the shared
// samples, against the raw encode speed of the same tokenizer (Qwen3) on the same text, in the same run
// (wall and CPU), and against the floor: the raw encode plus what no compile can skip (loading the
// tokenizer, the secret scan, serialising the samples). Then 2 workers against 1, and peak
// RSS at a quarter and at the full input (memory must not grow with input size). Last, long runs: tool
// outputs holding a 1,000,000-character run of one character (space, `=`, CJK), compiled against the
// same trajectories with ordinary text of the same length, and the count of each run on its own.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { once } from "node:events";
import { join } from "node:path";
import { Random } from "../src/random.js";
import { BENCH_DATA, build, fromDist, median, mib, realTexts, timeNode } from "./common.js";

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

/** Import (no redaction) and encode every tool output; the tokenizer's loading is timed apart (`loadCpuSeconds`). */
async function rawEncode(path: string): Promise<{ bytes: number; seconds: number; cpuSeconds: number; loadCpuSeconds: number }> {
  const load = process.cpuUsage();
  const tokenizer = await resolveTokenizer("qwen3");
  const loadCpuSeconds = cpuSecondsSince(load);
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
  return { bytes, seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: cpuSecondsSince(cpu), loadCpuSeconds };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * CPU seconds, in this process, of the work a compile must do beyond the raw encode: scan every tool
 * output for secrets (redaction is on by default) and serialise the samples (as JSON.parse gives them, each stringified once, and
 * encoded). Also the cost of parsing the input a second time, given apart (acc imports the input once,
 * into a file it compiles from after the distractor pass, and parses that file once more).
 */
async function floorSeconds(input: string, samples: string): Promise<{ scan: number; serialise: number; secondParse: number }> {
  const { findSecrets } = await fromDist<typeof import("../src/privacy/scan.js")>("privacy/scan.js");
  const cpu = (work: () => void) => {
    const start = process.cpuUsage();
    work();
    return cpuSecondsSince(start);
  };
  const texts: string[] = [];
  for await (const event of importTrajectories([input])) {
    if (event.type === "trajectory") for (const m of event.trajectory.messages) if (m.role === "tool") texts.push(m.content);
  }
  const scan = cpu(() => texts.forEach((text) => findSecrets(text)));
  const lines = readFileSync(samples, "utf8").split("\n").filter((line) => line.length > 0);
  const records = lines.map((line) => JSON.parse(line) as unknown);
  const serialise = cpu(() => records.forEach((record) => Buffer.from(`${JSON.stringify(record)}\n`)));
  const inputText = readFileSync(input, "utf8");
  const secondParse = cpu(() => inputText.split("\n").forEach((line) => line.length > 0 && JSON.parse(line)));
  return { scan, serialise, secondParse };
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

const compile = (input: string, workers: number, keep = false) => {
  const out = join(BENCH_DATA, `compile-out-${workers}`);
  rmSync(out, { recursive: true, force: true });
  const result = timeNode(["dist/cli/main.js", "compile", input, "-o", out, "--workers", String(workers), "-q"]);
  const outputMiB = mib(statSync(join(out, "samples.jsonl")).size);
  if (!keep) rmSync(out, { recursive: true, force: true });
  return { ...result, out, outputMiB, summary: result.stderr.split("\n").find((l) => l.startsWith("read ")) ?? "" };
};
const loadAverage = () => loadavg().map((l) => l.toFixed(1)).join(" ");

// Rounds of the raw encode and a one-worker compile, one after the other (ratios within a round).
const ROUNDS = 2;
const rounds: { raw: Awaited<ReturnType<typeof rawEncode>>; one: ReturnType<typeof compile>; load: string }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const load = loadAverage();
  rounds.push({ load, raw: await rawEncode(full), one: compile(full, 1, round === ROUNDS - 1) });
}
const toolMiB = mib(rounds[0]!.raw.bytes);
console.log(`input: ${mib(statSync(full).size).toFixed(0)} MiB of trajectories, ${toolMiB.toFixed(0)} MiB of tool output (evidence and distractor text)`);
for (const [i, { raw, one, load }] of rounds.entries()) {
  const rawMBps = toolMiB / raw.seconds;
  const oneMBps = toolMiB / one.seconds;
  console.log(
    `round ${i + 1} (load ${load}): raw Qwen3 encode ${rawMBps.toFixed(2)} MiB/s (${raw.cpuSeconds.toFixed(1)} s CPU); compile, 1 worker, ${oneMBps.toFixed(2)} MiB/s (${one.cpuSeconds.toFixed(1)} s CPU): ` +
      `${(oneMBps / rawMBps).toFixed(2)}x raw encode by wall, ${(raw.cpuSeconds / one.cpuSeconds).toFixed(2)}x by CPU  (peak RSS ${one.peakRssMiB.toFixed(0)} MiB, ${one.outputMiB.toFixed(0)} MiB of samples) ${one.summary}`,
  );
}
const last = rounds[rounds.length - 1]!;
const floor = await floorSeconds(full, join(last.one.out, "samples.jsonl"));
rmSync(last.one.out, { recursive: true, force: true });
const rawCpu = median(rounds.map((r) => r.raw.cpuSeconds));
const oneCpu = median(rounds.map((r) => r.one.cpuSeconds));
const loadCpu = median(rounds.map((r) => r.raw.loadCpuSeconds));
const must = rawCpu + loadCpu + floor.scan + floor.serialise;
console.log(
  `work any compile must do, CPU s: the raw encode (import and encode the tool output) ${rawCpu.toFixed(1)}, load the tokenizer ${loadCpu.toFixed(1)}, ` +
    `scan the text for secrets ${floor.scan.toFixed(1)}, serialise the samples ${floor.serialise.toFixed(1)}: ${must.toFixed(1)}, so no compile passes ${(rawCpu / must).toFixed(2)}x raw encode by CPU; ` +
    `acc's one-worker compile spends ${oneCpu.toFixed(1)} s: ${(must / oneCpu).toFixed(2)}x that floor. ` +
    `(Parsing the input a second time, as acc parses its imported records after the distractor pass, costs ${floor.secondParse.toFixed(1)} s more.)`,
);
const two = compile(full, 2);
const small = compile(quarter, 1);
console.log(`compile, 2 workers (load ${loadAverage()}): ${(toolMiB / two.seconds).toFixed(2)} MiB/s = ${(last.one.seconds / two.seconds).toFixed(2)}x one worker  (peak RSS ${two.peakRssMiB.toFixed(0)} MiB)`);
console.log(`peak RSS, 1 worker, quarter input: ${small.peakRssMiB.toFixed(0)} MiB; full input: ${last.one.peakRssMiB.toFixed(0)} MiB (${(last.one.peakRssMiB / small.peakRssMiB).toFixed(2)}x for 4x the input)`);

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
