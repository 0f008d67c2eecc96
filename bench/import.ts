// npm run bench:import [-- --gb 1]
// MB/s of `acc import` on generated JSONL built from the real samples, against plain read + JSON.parse
// of the same file in the same run; also peak RSS at two input sizes (memory must stay flat).
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { loadavg } from "node:os";
import { BENCH_DATA, build, fromDist, median, mib, READ_PARSE_BASELINE, timeNode } from "./common.js";
import { readHead } from "../src/io/lines.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
const gbArg = process.argv.indexOf("--gb");
const targetGiB = gbArg > 0 ? Number(process.argv[gbArg + 1]) : 1;

/** JSONL of tau-bench runs (OpenAI chat with tool calls), each with a distinct task id, up to `bytes`. */
async function generate(path: string, bytes: number): Promise<void> {
  if (existsSync(path) && statSync(path).size >= bytes) return;
  const runs = JSON.parse(readFileSync(join(SAMPLES, "openai-chat-tau-bench/gpt-4o-airline.json"), "utf8")) as Record<string, unknown>[];
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; written < bytes; i++) {
    const line = `${JSON.stringify({ ...runs[i % runs.length], task_id: i })}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
}


const ROUNDS = 3;

/** One `acc import` of `input` (the output removed unless kept); its wall and CPU seconds, peak RSS and summary line. */
function importOnce(input: string, options: { workers?: number; redact?: "on" | "off"; keep?: boolean } = {}) {
  const out = join(BENCH_DATA, "import-out.jsonl");
  const run = timeNode(["dist/cli/main.js", "import", input, "-o", out, "-q", "--workers", String(options.workers ?? 1), "--redact", options.redact ?? "on"]);
  const outputMiB = mib(statSync(out).size);
  if (!options.keep) rmSync(out);
  return { ...run, outputMiB, summary: run.stderr.split("\n").filter((l) => l.startsWith("read ")).join("") };
}

mkdirSync(BENCH_DATA, { recursive: true });
if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
// the floor is measured on the same built scanner as acc import
const { findSecrets } = await fromDist<typeof import("../src/privacy/scan.js")>("privacy/scan.js");
const small = join(BENCH_DATA, "import-small.jsonl");
const largeInput = join(BENCH_DATA, "import-large.jsonl");
await generate(small, 256 * 1024 * 1024);
await generate(largeInput, targetGiB * 1024 * 1024 * 1024);

function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(1)).join(" ");
}

/** The first `bytes` of a JSONL file, as whole lines. */
async function headLines(path: string, bytes: number): Promise<string[]> {
  const text = (await readHead(path, bytes)).toString("utf8");
  return text.slice(0, text.lastIndexOf("\n")).split("\n");
}

/** Every string inside a JSON value. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) yield* strings(item);
}

/**
 * CPU ms per MB of input of the work no implementation of import can skip, measured in this process on
 * the first 32 MB of the small input and its canonical output: parse the input, serialise and encode
 * the output (1.5x larger), and scan every output text for secrets (redaction is on by default). The
 * output is serialised as an importer meets it: records fresh from JSON.parse, each stringified once
 * (not a second stringify of objects already stringified, which V8 may find cheaper).
 */
async function floorMsPerMB(input: string, output: string): Promise<{ parse: number; serialise: number; scan: number }> {
  const inputLines = await headLines(input, 32 * 1024 * 1024);
  // as many output records as the input lines give (the output head may hold a few more or fewer)
  const outputLines = (await headLines(output, 48 * 1024 * 1024)).slice(0, inputLines.length);
  const megabytes = inputLines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) / 1e6;
  const cpuMs = (work: () => void) => {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / megabytes;
  };
  const parsed = () => outputLines.map((line) => JSON.parse(line) as unknown);
  const serialise = (records: unknown[]) => () => records.forEach((record) => Buffer.from(`${JSON.stringify(record)}\n`));
  const scan = (records: unknown[]) => () =>
    records.forEach((record) => {
      for (const text of strings(record)) findSecrets(text);
    });
  const parse = () => inputLines.forEach((line) => JSON.parse(line));
  const warm = parsed();
  [parse, serialise(warm), scan(warm)].forEach(cpuMs);
  const records = parsed();
  return { parse: cpuMs(parse), serialise: cpuMs(serialise(records)), scan: cpuMs(scan(records)) };
}

// Interleaved rounds on the small input after a warm-up round (not kept): the baseline, acc with
// redaction on (the default), acc with it off; each ratio is the median of the rounds' ratios.
const rounds: { baseline: ReturnType<typeof timeNode>; on: ReturnType<typeof importOnce>; off: ReturnType<typeof importOnce> }[] = [];
for (let round = -1; round < ROUNDS; round++) {
  const load = loadAverage();
  const result = { baseline: timeNode(["-e", READ_PARSE_BASELINE, small]), on: importOnce(small, { keep: true }), off: importOnce(small, { redact: "off" }) };
  if (round >= 0) rounds.push(result);
  console.log(
    `${round < 0 ? "warm-up" : `round ${round + 1}`} (load ${load}): baseline ${result.baseline.seconds.toFixed(2)} s wall, ${result.baseline.cpuSeconds.toFixed(2)} s CPU; ` +
      `acc import ${result.on.seconds.toFixed(2)} s wall, ${result.on.cpuSeconds.toFixed(2)} s CPU; --redact off ${result.off.seconds.toFixed(2)} s wall, ${result.off.cpuSeconds.toFixed(2)} s CPU`,
  );
}
const floor = await floorMsPerMB(small, join(BENCH_DATA, "import-out.jsonl"));
rmSync(join(BENCH_DATA, "import-out.jsonl"));
const smallMiB = mib(statSync(small).size);
const smallMB = statSync(small).size / 1e6;
const ratio = (of: (run: { seconds: number; cpuSeconds: number }) => number, side: "on" | "off") =>
  median(rounds.map((r) => of(r.baseline) / of(r[side])));
const wall = (run: { seconds: number }) => run.seconds;
const cpu = (run: { cpuSeconds: number }) => run.cpuSeconds;
const rate = (of: (r: (typeof rounds)[number]) => number) => median(rounds.map((r) => smallMiB / of(r)));
console.log(`\n${smallMiB.toFixed(0)} MiB of tau-bench rows, one thread, medians of ${ROUNDS} rounds:`);
console.log(`  plain read + JSON.parse: ${rate((r) => r.baseline.seconds).toFixed(1)} MiB/s wall, ${median(rounds.map((r) => (1000 * r.baseline.cpuSeconds) / smallMB)).toFixed(2)} CPU ms per MB`);
for (const side of ["on", "off"] as const) {
  console.log(
    `  acc import --redact ${side}: ${rate((r) => r[side].seconds).toFixed(1)} MiB/s wall, ${median(rounds.map((r) => (1000 * r[side].cpuSeconds) / smallMB)).toFixed(2)} CPU ms per MB: ` +
      `${ratio(wall, side).toFixed(3)}x wall, ${ratio(cpu, side).toFixed(3)}x CPU`,
  );
}
const last = rounds[rounds.length - 1]!;
const large = importOnce(largeInput);
const two = importOnce(small, { workers: 2 });
console.log(`  acc import, 2 workers (load ${loadAverage()}): ${(smallMiB / two.seconds).toFixed(1)} MiB/s wall, ${((1000 * two.cpuSeconds) / smallMB).toFixed(2)} CPU ms per MB`);
console.log(
  `peak RSS: ${last.on.peakRssMiB.toFixed(0)} MiB for ${smallMiB.toFixed(0)} MiB of input, ${large.peakRssMiB.toFixed(0)} MiB for ${mib(statSync(largeInput).size).toFixed(0)} MiB ` +
    `(${(large.peakRssMiB / last.on.peakRssMiB).toFixed(2)}x); 2 workers ${two.peakRssMiB.toFixed(0)} MiB; ${last.on.summary}`,
);
const baselineMs = median(rounds.map((r) => (1000 * r.baseline.cpuSeconds) / smallMB));
const accMs = median(rounds.map((r) => (1000 * r.on.cpuSeconds) / smallMB));
const must = floor.parse + floor.serialise + floor.scan;
console.log(
  `work any import must do, CPU ms per MB of input: parse ${floor.parse.toFixed(2)}, serialise and encode the output ${floor.serialise.toFixed(2)}, ` +
    `scan it for secrets ${floor.scan.toFixed(2)}: ${must.toFixed(2)}, against ${baselineMs.toFixed(2)} for the whole baseline process`,
);
console.log(
  `  so no import passes ${(baselineMs / must).toFixed(2)}x by CPU on one thread (${(baselineMs / (floor.parse + floor.serialise)).toFixed(2)}x with --redact off), ` +
    `before converting or validating anything; acc spends ${accMs.toFixed(2)} ms per MB: ${(must / accMs).toFixed(2)}x that floor`,
);
