// npm run bench:import
// CPU and wall time of `acc import` (one thread, redaction on and off) on the shared real agent logs as they
// come (12 formats: session files, JSON and JSONL datasets), copied into a folder of ~97 MiB, against plain
// read + JSON.parse of the same files in the same rounds; the floor (the work any import must do) measured in
// the same run; peak RSS at a quarter of the input and at all of it.
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { BENCH_DATA, build, fromDist, median, mib, timeNode } from "./common.js";

const SAMPLES = process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../shared/trajectory-samples");
/** Copies of the samples in the input: 8 × 12.8 MB ≈ 97 MiB (see docs/benchmarks.md for why this size). */
const COPIES = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/**
 * The baseline: every JSON file of a folder read and parsed, keeping nothing. A `.jsonl` file is read in
 * 1 MiB chunks and parsed line by line (READ_PARSE_BASELINE's loop), any other `.json` file (or SWE-agent's
 * `.traj`) read whole with one call and parsed whole: the least work any reader of these files must do.
 */
const READ_PARSE_FOLDER = `
const { createReadStream, readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
  .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
(async () => {
  let values = 0;
  for (const file of walk(process.argv[1])) {
    if (file.endsWith(".jsonl")) {
      let pending = Buffer.alloc(0);
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
        let buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk, start = 0;
        for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
          if (nl > start) { JSON.parse(buffer.toString("utf8", start, nl)); values++; }
          start = nl + 1;
        }
        pending = buffer.subarray(start);
      }
      if (pending.length) { JSON.parse(pending.toString("utf8")); values++; }
    } else if (/\\.(json|traj)$/.test(file)) {
      JSON.parse(readFileSync(file, "utf8")); values++;
    }
  }
  console.error("values", values);
})();`;

/** The input: `copies` copies of the samples folder, each in a folder of its own (distinct paths give distinct ids). */
function generate(dir: string, copies: number): void {
  for (let i = 1; i <= copies; i++) {
    const copy = join(dir, `copy-${String(i).padStart(2, "0")}`);
    if (!existsSync(copy)) cpSync(SAMPLES, copy, { recursive: true });
  }
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(1)).join(" ");
}

const OUTPUT = join(BENCH_DATA, "import-out.jsonl");

/** One `acc import` of `input`: wall and CPU seconds (all threads, and the main thread's), peak RSS and the summary line. */
function importOnce(input: string, redact: "on" | "off", nodeFlags: string[] = [], entry = "dist/cli/main.js") {
  const run = timeNode([...nodeFlags, entry, "import", input, "-o", OUTPUT, "-q", "--workers", "1", "--redact", redact]);
  const mainCpuSeconds = Number(/bench-main-cpu-us=(\d+)/.exec(run.stderr)?.[1] ?? Number.NaN) / 1e6;
  return { ...run, mainCpuSeconds, summary: run.stderr.split("\n").filter((l) => l.startsWith("read ")).join("") };
}

/**
 * Where the main thread's time goes, from a V8 CPU profile: each sample's function (self time, so inlined
 * callees count for their caller: JSON.parse for the reader that calls it, JSON.stringify for the writer)
 * put in one part of the import by its module. Shares of the samples that are not idle.
 */
const PARTS: [part: string, test: (url: string, name: string) => boolean][] = [
  ["garbage collection (main thread)", (_, name) => name === "(garbage collector)"],
  ["module loading and start-up", (url, name) => /^node:internal\/(modules|bootstrap|deps\/cjs-module-lexer|process\/pre_execution)/.test(url) || name === "compileSourceTextModule" || url.includes("/dist/cli/") && !url.includes("/commands/import.js")],
  ["redaction: the scan and its detectors", (url) => /\/dist\/privacy\/(scan|prefilter|scan-memo|detectors\/)/.test(url)],
  ["redaction: the walk over each record", (url) => url.includes("/dist/privacy/")],
  ["schema check", (url) => url.includes("/dist/records/")],
  ["serialising and writing the output", (url, name) => /\/dist\/(import\/write|io\/(atomic|line-buffer|resumable|checkpoint)|run\/(stage|worker-pool)|cli\/commands\/import)\.js/.test(url) || (url === "node:buffer" && name === "write") || ["utf8Write", "writeBuffer", "writeString"].includes(name) || url.startsWith("node:internal/fs/streams")],
  ["reading and parsing the input", (url, name) => /\/dist\/(io\/|import\/(probe|inputs)\.js)/.test(url) || url === "node:buffer" || url.startsWith("node:internal/fs") || url.includes("/node_modules/fdir/") || ["read", "openFileHandle", "close", "fstat", "readFileUtf8", "isUtf8", "stat", "lstat", "readdir"].includes(name)],
  ["conversion: importers, pairing, ids, domain", (url, name) => /\/dist\/(formats\/|import\/|json\.js)/.test(url) || url.startsWith("node:internal/crypto") || ["Hash", "update", "digest"].includes(name)],
];

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

function profileParts(profile: CpuProfile): { parts: Map<string, number>; busy: number } {
  const partOf = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    const url = callFrame.url.replace(/^file:\/\//, "");
    const name = callFrame.functionName;
    partOf.set(id, name === "(idle)" ? "idle" : (PARTS.find(([, test]) => test(url, name))?.[0] ?? "other (promises, streams, events, the rest)"));
  }
  const parts = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const part = partOf.get(id)!;
    const micros = profile.timeDeltas[i] ?? 0;
    if (part === "idle") return;
    busy += micros;
    parts.set(part, (parts.get(part) ?? 0) + micros);
  });
  return { parts, busy };
}

/** Every string of a JSON value, keys included (the redactor scans keys too). */
function* strings(value: unknown): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      yield key;
      yield* strings(item);
    }
  }
}

/**
 * CPU seconds of the work an import must do beyond reading and parsing its input, measured in this
 * process on acc's own output records (so the same texts and the same amount of output): serialise each
 * record once and encode it to UTF-8, and scan every distinct string of it (a quarter of the text of these
 * records is a copy of another string of the same record) with the built secret scanner (the ≥ 250 MB/s one
 * bench:privacy measures, at the recall docs/privacy.md reports). Each record is fresh from JSON.parse, as an
 * importer meets the objects it built; parsing the output and finding the distinct strings are not timed
 * (which flatters the floor). A first pass over the first 300 records warms the JIT.
 */
async function floorSeconds(output: string, findSecrets: (text: string) => unknown): Promise<{ serialise: number; scan: number; records: number }> {
  const cpu = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  };
  const totals = { serialise: 0, scan: 0, records: 0 };
  // encoded into one reused buffer (grown when a record needs more), as a writer that buffers its output would
  let scratch = Buffer.allocUnsafe(4 * 1024 * 1024);
  for (const pass of ["warm-up", "timed"]) {
    let seen = 0;
    for await (const line of createInterface({ input: createReadStream(output), crlfDelay: Infinity })) {
      if (line === "") continue;
      if (pass === "warm-up" && ++seen > 300) break;
      const record = JSON.parse(line) as unknown;
      const start = cpu();
      const json = JSON.stringify(record);
      if (json.length * 3 + 1 > scratch.length) scratch = Buffer.allocUnsafe(json.length * 3 + 1);
      scratch.write("\n", scratch.write(json));
      const serialised = cpu();
      for (const text of new Set(strings(record))) findSecrets(text);
      if (pass !== "timed") continue;
      totals.serialise += serialised - start;
      totals.scan += cpu() - serialised;
      totals.records++;
    }
  }
  return totals;
}

mkdirSync(BENCH_DATA, { recursive: true });
if (!existsSync(SAMPLES)) throw new Error(`samples not found at ${SAMPLES} (set ACC_SAMPLES_DIR)`);
build();
const { findSecrets } = await fromDist<typeof import("../src/privacy/scan.js")>("privacy/scan.js");
const input = join(BENCH_DATA, "import-mix");
const quarter = join(BENCH_DATA, "import-mix-quarter");
generate(input, COPIES);
generate(quarter, COPIES / 4);
const inputBytes = folderBytes(input);
const MB = inputBytes / 1e6;
console.log(`input: ${COPIES} copies of ${SAMPLES}, ${mib(inputBytes).toFixed(1)} MiB`);

// Interleaved rounds after a warm-up round (not kept): the baseline, acc (redaction on, the default), acc --redact off.
type Run = { seconds: number; cpuSeconds: number; peakRssMiB: number };
type AccRun = Run & { mainCpuSeconds: number; summary: string };
const rounds: { load: string; baseline: Run; on: AccRun; off: AccRun }[] = [];
for (let round = -1; round < ROUNDS; round++) {
  const load = loadAverage();
  const result = { load, baseline: timeNode(["-e", READ_PARSE_FOLDER, input]), on: importOnce(input, "on"), off: importOnce(input, "off") };
  if (round >= 0) rounds.push(result);
  console.log(
    `${round < 0 ? "warm-up" : `round ${round + 1}`} (load ${load}): baseline ${result.baseline.cpuSeconds.toFixed(2)} s CPU ${result.baseline.seconds.toFixed(2)} s wall; ` +
      `acc import ${result.on.cpuSeconds.toFixed(2)} s CPU ${result.on.seconds.toFixed(2)} s wall; --redact off ${result.off.cpuSeconds.toFixed(2)} s CPU ${result.off.seconds.toFixed(2)} s wall`,
  );
}
// the output of a last run with redaction on is the floor's material
const last = importOnce(input, "on");
const floor = await floorSeconds(OUTPUT, findSecrets);
const outputMiB = mib(statSync(OUTPUT).size);
rmSync(OUTPUT);
const small = importOnce(quarter, "on");
rmSync(OUTPUT);
// one more import with V8's sampling profiler on, through the per-file build (bench/per-file-cli.mjs): where the main thread's time goes (the profiler slows it a little)
const profileDir = mkdtempSync(join(tmpdir(), "acc-bench-import-"));
const profiled = importOnce(input, "on", ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-interval", "500"], "bench/per-file-cli.mjs");
rmSync(OUTPUT);
const profileFile = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"))!;
const breakdown = profileParts(JSON.parse(readFileSync(join(profileDir, profileFile), "utf8")) as CpuProfile);
rmSync(profileDir, { recursive: true });

const cpu = (run: Run) => run.cpuSeconds;
const wall = (run: Run) => run.seconds;
const ratio = (side: "on" | "off", of: (run: Run) => number) => median(rounds.map((r) => of(r.baseline) / of(r[side])));
const seconds = (side: "baseline" | "on" | "off", of: (run: Run) => number) => median(rounds.map((r) => of(r[side])));
const mainSeconds = (side: "on" | "off") => median(rounds.map((r) => r[side].mainCpuSeconds));
const loads = rounds.map((r) => Number(r.load.split(" ")[0]));
console.log(`\n${mib(inputBytes).toFixed(1)} MiB of real logs (${last.summary}), one thread, medians of ${ROUNDS} interleaved rounds, load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}:`);
console.log(`  plain read + JSON.parse   ${seconds("baseline", cpu).toFixed(2)} s CPU (${((1000 * seconds("baseline", cpu)) / MB).toFixed(1)} ms per MB), ${seconds("baseline", wall).toFixed(2)} s wall`);
for (const side of ["on", "off"] as const) {
  console.log(
    `  acc import --redact ${side.padEnd(4)} ${seconds(side, cpu).toFixed(2)} s CPU (${((1000 * seconds(side, cpu)) / MB).toFixed(1)} ms per MB), ${seconds(side, wall).toFixed(2)} s wall: ` +
      `${ratio(side, cpu).toFixed(3)}x by CPU, ${ratio(side, wall).toFixed(3)}x by wall`,
  );
}
const baselineCpu = seconds("baseline", cpu);
const mustOn = baselineCpu + floor.serialise + floor.scan;
const mustOff = baselineCpu + floor.serialise;
console.log(
  `floor, CPU s (the work any import must do): read + parse ${baselineCpu.toFixed(2)} (the baseline) + serialise and encode ${floor.records} records (${outputMiB.toFixed(0)} MiB) ${floor.serialise.toFixed(2)} ` +
    `+ scan every distinct string for secrets ${floor.scan.toFixed(2)} = ${mustOn.toFixed(2)}`,
);
console.log(
  `  so no import passes ${(baselineCpu / mustOn).toFixed(3)}x by CPU with redaction (${(baselineCpu / mustOff).toFixed(3)}x without); ` +
    `acc runs at ${ratio("on", cpu).toFixed(3)}x, ${(mustOn / seconds("on", cpu)).toFixed(2)} of the floor's speed (${(mustOff / seconds("off", cpu)).toFixed(2)} with --redact off)`,
);
console.log(
  `peak RSS: ${small.peakRssMiB.toFixed(0)} MiB for ${mib(folderBytes(quarter)).toFixed(0)} MiB of input, ${last.peakRssMiB.toFixed(0)} MiB for ${mib(inputBytes).toFixed(0)} MiB ` +
    `(${(last.peakRssMiB / small.peakRssMiB).toFixed(2)}x for 4x the input; the largest file is held whole: ${(
      readdirSync(SAMPLES, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .reduce((max, e) => Math.max(max, statSync(join(e.parentPath, e.name)).size), 0) / 1e6
    ).toFixed(1)} MB)`,
);
console.log(
  `\nwhere acc import's CPU goes (redaction on): ${seconds("on", cpu).toFixed(2)} s, of which the main thread ${mainSeconds("on").toFixed(2)} s and ` +
    `the other threads (V8's GC helpers and optimising compiler, libuv's file pool) ${(seconds("on", cpu) - mainSeconds("on")).toFixed(2)} s ` +
    `(medians; --redact off: ${mainSeconds("off").toFixed(2)} + ${(seconds("off", cpu) - mainSeconds("off")).toFixed(2)} s); redaction costs ${(seconds("on", cpu) - seconds("off", cpu)).toFixed(2)} s (on - off).`,
);
console.log(`the main thread's busy time by part (V8 CPU profile of one more import, ${(breakdown.busy / 1e6).toFixed(2)} s busy, load ${loadAverage()}):`);
for (const [part, micros] of [...breakdown.parts].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${part.padEnd(46)} ${((100 * micros) / breakdown.busy).toFixed(1).padStart(5)}%  ~${((mainSeconds("on") * micros) / breakdown.busy).toFixed(2)} s`);
}
console.log(`  (profiled run: ${profiled.cpuSeconds.toFixed(2)} s CPU, main thread ${profiled.mainCpuSeconds.toFixed(2)} s; the seconds above scale the shares to the rounds' median main thread)`);
