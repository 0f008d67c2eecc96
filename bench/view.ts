// npm run bench:view [-- --gb 1 --rounds 2]
// `acc view` on generated JSONL of real trajectories (the shared samples imported by acc, copied with their
// ids made distinct) at 64 MiB and at --gb GiB: peak RSS at both sizes (memory must not grow with the
// input) and MB/s against plain read + JSON.parse of the same file, interleaved in the same run. The
// inputs and sites live in a temporary folder, deleted at the end.
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Trajectory } from "../src/records/trajectory.js";
import { build, fromDist, median, mib, READ_PARSE_BASELINE, timeNode } from "./common.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const targetGiB = arg("--gb", 1);
const rounds = arg("--rounds", 2);
/** Stands for "this copy" in the serialised records: every id they carry (their own, parents', sub-agents') gets the copy's number. */
const COPY = "@@copy@@";

/** The shared samples as acc imports them, serialised once with every id marked for copying. */
async function realRecords(): Promise<string[]> {
  const { importTrajectories } = await fromDist<typeof import("../src/import/run.js")>("import/run.js");
  const records: Trajectory[] = [];
  for await (const event of importTrajectories([SAMPLES])) if (event.type === "trajectory") records.push(event.trajectory);
  const ids = new Set(records.map((r) => r.id));
  return records.map((record) => JSON.stringify(record, (_, value: unknown) => (typeof value === "string" && ids.has(value) ? `${value}${COPY}` : value)));
}

/** Copies of `records` up to `bytes`, streamed to `path`; returns the number of lines. */
async function generate(path: string, records: readonly string[], bytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let lines = 0;
  for (let copy = 0; written < bytes; copy++) {
    for (const record of records) {
      const line = `${record.replaceAll(COPY, `-copy-${copy}`)}\n`;
      written += Buffer.byteLength(line);
      lines++;
      if (!out.write(line)) await once(out, "drain");
      if (written >= bytes) break;
    }
  }
  out.end();
  await once(out, "close");
  return lines;
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((sum, e) => sum + (e.isFile() ? statSync(join(e.parentPath, e.name)).size : 0), 0);
}

interface Run {
  baseline: ReturnType<typeof timeNode>;
  acc: ReturnType<typeof timeNode>;
  siteMiB: number;
}

function measure(input: string, site: string): Run {
  const baseline = timeNode(["-e", READ_PARSE_BASELINE, input]);
  const acc = timeNode(["dist/cli/main.js", "view", input, "-o", site, "-q"]);
  const siteMiB = mib(sizeOf(site));
  rmSync(site, { recursive: true, force: true });
  return { baseline, acc, siteMiB };
}

if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
const dir = mkdtempSync(join(tmpdir(), "acc-bench-view-"));
process.on("SIGINT", () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(130);
});
try {
  const records = await realRecords();
  const sizes = [{ label: "small", bytes: 64 * 1024 * 1024 }, { label: "large", bytes: targetGiB * 1024 * 1024 * 1024 }];
  const inputs = [];
  for (const size of sizes) {
    const path = join(dir, `${size.label}.jsonl`);
    process.stderr.write(`generating ${mib(size.bytes).toFixed(0)} MiB of trajectories in ${dir}…\n`);
    inputs.push({ ...size, path, lines: await generate(path, records, size.bytes), mib: mib(statSync(path).size) });
  }
  const runs = new Map<string, Run[]>(inputs.map((i) => [i.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const input of inputs) {
      process.stderr.write(`round ${round + 1}/${rounds}: ${input.mib.toFixed(0)} MiB, baseline then acc view…\n`);
      runs.get(input.label)!.push(measure(input.path, join(dir, "site")));
    }
  }
  console.log(`\n${records.length} real trajectories copied with distinct ids; ${rounds} rounds, each: baseline then acc view, small then large`);
  console.log("input MiB | records | read+JSON.parse MB/s | acc view MB/s | ratio wall | ratio CPU | acc CPU s | acc peak RSS MiB (each round) | site MiB");
  const peak = new Map<string, number>();
  for (const input of inputs) {
    const rs = runs.get(input.label)!;
    const mbs = (seconds: number) => input.mib / seconds;
    const peaks = rs.map((r) => r.acc.peakRssMiB);
    peak.set(input.label, median(peaks));
    console.log(
      [
        input.mib.toFixed(0),
        input.lines.toLocaleString("en-US"),
        median(rs.map((r) => mbs(r.baseline.seconds))).toFixed(1),
        median(rs.map((r) => mbs(r.acc.seconds))).toFixed(1),
        `${median(rs.map((r) => r.baseline.seconds / r.acc.seconds)).toFixed(2)}x`,
        `${median(rs.map((r) => r.baseline.cpuSeconds / r.acc.cpuSeconds)).toFixed(2)}x`,
        median(rs.map((r) => r.acc.cpuSeconds)).toFixed(1),
        peaks.map((p) => p.toFixed(0)).join(", "),
        rs[0]!.siteMiB.toFixed(0),
      ].join(" | "),
    );
  }
  const [small, large] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
  console.log(
    `peak RSS from ${small.mib.toFixed(0)} to ${large.mib.toFixed(0)} MiB of input (${(large.mib / small.mib).toFixed(0)}x): ` +
      `${peak.get("small")!.toFixed(0)} → ${peak.get("large")!.toFixed(0)} MiB (${(peak.get("large")! / peak.get("small")!).toFixed(2)}x)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
