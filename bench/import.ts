// npm run bench:import [-- --gb 1]
// MB/s of `acc import` on generated JSONL built from the real samples, against plain read + JSON.parse
// of the same file in the same run; also peak RSS at two input sizes (memory must stay flat).
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { BENCH_DATA, build, mib, timeNode } from "./common.js";

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

const BASELINE = `
const { createReadStream } = require("node:fs");
(async () => {
  let pending = Buffer.alloc(0), records = 0;
  for await (const chunk of createReadStream(process.argv[1], { highWaterMark: 1 << 20 })) {
    let buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk, start = 0;
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
      JSON.parse(buffer.toString("utf8", start, nl)); records++; start = nl + 1;
    }
    pending = buffer.subarray(start);
  }
  console.error("records", records);
})();`;

function measure(input: string, workers = 1) {
  const size = statSync(input).size;
  const out = join(BENCH_DATA, "import-out.jsonl");
  const baseline = timeNode(["-e", BASELINE, input]);
  const acc = timeNode(["dist/cli/main.js", "import", input, "-o", out, "-q", "--workers", String(workers)]);
  const outputBytes = statSync(out).size;
  rmSync(out);
  return { sizeMiB: mib(size), workers, baseline, acc, outputMiB: mib(outputBytes), summary: acc.stderr.split("\n").filter((l) => l.startsWith("read ")).join("") };
}

mkdirSync(BENCH_DATA, { recursive: true });
if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
const small = join(BENCH_DATA, "import-small.jsonl");
const large = join(BENCH_DATA, "import-large.jsonl");
await generate(small, 256 * 1024 * 1024);
await generate(large, targetGiB * 1024 * 1024 * 1024);

const rows = [measure(small), measure(large), measure(small, 2)];
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
