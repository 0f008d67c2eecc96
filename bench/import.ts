// npm run bench:import [-- --gb 1]
// MB/s of `acc import` on generated JSONL built from the real samples, against plain read + JSON.parse
// of the same file in the same run; also peak RSS at two input sizes (memory must stay flat).
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { BENCH_DATA, build, fromDist, mib, READ_PARSE_BASELINE, timeNode } from "./common.js";
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

function measure(input: string, workers = 1, keepOutput = false) {
  const size = statSync(input).size;
  const out = join(BENCH_DATA, "import-out.jsonl");
  const baseline = timeNode(["-e", READ_PARSE_BASELINE, input]);
  const acc = timeNode(["dist/cli/main.js", "import", input, "-o", out, "-q", "--workers", String(workers)]);
  const outputBytes = statSync(out).size;
  if (!keepOutput) rmSync(out);
  return { sizeMiB: mib(size), workers, baseline, acc, outputMiB: mib(outputBytes), summary: acc.stderr.split("\n").filter((l) => l.startsWith("read ")).join("") };
}

mkdirSync(BENCH_DATA, { recursive: true });
if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
// the floor is measured on the same built scanner as acc import
const { findSecrets } = await fromDist<typeof import("../src/privacy/scan.js")>("privacy/scan.js");
const small = join(BENCH_DATA, "import-small.jsonl");
const large = join(BENCH_DATA, "import-large.jsonl");
await generate(small, 256 * 1024 * 1024);
await generate(large, targetGiB * 1024 * 1024 * 1024);

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
 * the output (1.5× larger), and scan every output text for secrets (redaction is on by default).
 */
async function floorMsPerMB(input: string, output: string): Promise<{ parse: number; serialise: number; scan: number }> {
  const inputLines = await headLines(input, 32 * 1024 * 1024);
  const records = (await headLines(output, 48 * 1024 * 1024)).map((line) => JSON.parse(line) as unknown);
  const megabytes = inputLines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) / 1e6;
  const cpuMs = (work: () => void) => {
    work();
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / megabytes;
  };
  // as many output records as the input lines give (the output head may hold a few more or fewer)
  const outputs = records.slice(0, inputLines.length);
  return {
    parse: cpuMs(() => inputLines.forEach((line) => JSON.parse(line))),
    serialise: cpuMs(() => outputs.forEach((record) => Buffer.from(`${JSON.stringify(record)}\n`))),
    scan: cpuMs(() => outputs.forEach((record) => {
      for (const text of strings(record)) findSecrets(text);
    })),
  };
}

const first = measure(small, 1, true);
const floor = await floorMsPerMB(small, join(BENCH_DATA, "import-out.jsonl"));
rmSync(join(BENCH_DATA, "import-out.jsonl"));
const rows = [first, measure(large), measure(small, 2)];
console.log("input MiB | workers | plain read+JSON.parse MB/s | acc import MB/s | ratio | acc peak RSS MiB | summary");
for (const r of rows) {
  const base = r.sizeMiB / r.baseline.seconds;
  const acc = r.sizeMiB / r.acc.seconds;
  console.log(
    `${r.sizeMiB.toFixed(0)} | ${r.workers} | ${base.toFixed(1)} | ${acc.toFixed(1)} | ${(acc / base).toFixed(2)}x | ${r.acc.peakRssMiB.toFixed(0)} | ${r.summary}`,
  );
}
const [a, b] = rows as [ReturnType<typeof measure>, ReturnType<typeof measure>];
console.log(`peak RSS growth from ${a.sizeMiB.toFixed(0)} MiB to ${b.sizeMiB.toFixed(0)} MiB of input: ${(b.acc.peakRssMiB / a.acc.peakRssMiB).toFixed(2)}x`);
const must = floor.parse + floor.serialise + floor.scan;
const baselineMs = 1000 / (a.sizeMiB / a.baseline.seconds) / 1.048576;
const ceiling = (work: number, threads: number) => ((threads * baselineMs) / work).toFixed(2);
console.log(
  `work any import must do, CPU ms per MB of input: parse ${floor.parse.toFixed(2)}, serialise the output ${floor.serialise.toFixed(2)}, ` +
    `scan it for secrets ${floor.scan.toFixed(2)}: ${must.toFixed(2)}, against ${baselineMs.toFixed(2)} for the whole read + parse baseline`,
);
console.log(
  `  so import cannot pass ${ceiling(must, 1)}x on one thread, ${ceiling(must, 2)}x on two ` +
    `(${ceiling(floor.parse + floor.serialise, 1)}x / ${ceiling(floor.parse + floor.serialise, 2)}x with --redact off), before converting or validating anything`,
);
