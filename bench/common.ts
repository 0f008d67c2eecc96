import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";

export const BENCH_DATA = join(import.meta.dirname, ".data");
export const REPO = join(import.meta.dirname, "..");

/** Builds dist/ so benchmarks time the shipped JavaScript, not a TypeScript loader. */
export function build(): void {
  const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: REPO, stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm run build failed");
}

/**
 * The baseline of the benchmarks that read JSONL: a `node -e` script reading the file given as its argument
 * in 1 MiB chunks and JSON.parse-ing each line, keeping nothing (the least work any reader of it must do).
 */
export const READ_PARSE_BASELINE = `
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

/** Runs `node <args>` with the RSS reporter preloaded; returns wall seconds, CPU seconds (all threads) and peak RSS in MiB. */
export function timeNode(args: string[]): { seconds: number; cpuSeconds: number; peakRssMiB: number; stderr: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", join(import.meta.dirname, "report-rss.mjs"), ...args], {
    cwd: REPO,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${result.stderr}`);
  const kb = Number(/bench-max-rss-kb=(\d+)/.exec(result.stderr)?.[1] ?? Number.NaN);
  const cpuMicros = Number(/bench-cpu-us=(\d+)/.exec(result.stderr)?.[1] ?? Number.NaN);
  return { seconds, cpuSeconds: cpuMicros / 1e6, peakRssMiB: kb / 1024, stderr: result.stderr };
}

/** CPU µs per item of `work` on this thread, after a warm-up on the first items (not timed). */
export function cpuMicrosPerItem<T>(items: readonly T[], work: (item: T) => void, warmUp = 200): number {
  for (const item of items.slice(0, warmUp)) work(item);
  const start = process.cpuUsage();
  for (const item of items) work(item);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / items.length;
}

/**
 * Real text for generated corpora: the tool outputs (over 200 characters) of the shared trajectory
 * samples (ACC_SAMPLES_DIR, else ../shared/trajectory-samples), read by acc's importer; without them,
 * this repository's TypeScript sources. Call after `build()`.
 */
export async function realTexts(): Promise<string[]> {
  const { importTrajectories } = await fromDist<typeof import("../src/import/run.js")>("import/run.js");
  const samples = process.env.ACC_SAMPLES_DIR ?? join(REPO, "../shared/trajectory-samples");
  const texts: string[] = [];
  if (existsSync(samples)) {
    for await (const event of importTrajectories([samples])) {
      if (event.type !== "trajectory") continue;
      for (const m of event.trajectory.messages) if (m.role === "tool" && m.content.length > 200) texts.push(m.content);
    }
  }
  if (texts.length > 0) return texts;
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
  return walk(join(REPO, "src")).map((path) => readFileSync(path, "utf8"));
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/**
 * Imports a module of the built package (dist/: call `build()` first), typed as its source:
 * `await fromDist<typeof import("../src/llm/client.js")>("llm/client.js")`. Benchmarks time the
 * JavaScript users run, not the TypeScript loader's output of src/.
 */
export function fromDist<Module>(path: string): Promise<Module> {
  return import(pathToFileURL(join(REPO, "dist", path)).href) as Promise<Module>;
}

/**
 * The raw client every endpoint benchmark compares with: undici's Pool at `inFlight` connections, driven
 * through its lowest-level API (`dispatch`, a handler that takes the body's bytes and keeps nothing),
 * POSTing `total` pre-built bodies (cycling through `bodies`) to `<url>/chat/completions`, `inFlight`
 * at a time. Of undici's ways to send (`fetch`, `request`, `dispatch`; `npm run bench:baseline`
 * measures them and node:http) this one costs the least per request. HTTP pipelining is left out on
 * purpose: a real server answers a connection's requests one after another, so pipelined requests would
 * wait for each other's generations. A status other than 200 fails the run. Returns requests/s.
 */
export async function rawLoad(url: string, bodies: readonly string[], inFlight: number, total = bodies.length): Promise<number> {
  const target = new URL(`${url}/chat/completions`);
  const pool = new Pool(target.origin, { connections: inFlight });
  const headers = { "content-type": "application/json" };
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      pool.dispatch(
        { method: "POST", path: target.pathname, headers, body },
        {
          onConnect() {},
          onHeaders(status: number) {
            if (status !== 200) reject(new Error(`the baseline got HTTP ${status}`));
            return true;
          },
          onData: () => true,
          onComplete: () => resolve(),
          onError: reject,
        },
      );
    });
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await post(bodies[next++ % bodies.length]!);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  return total / seconds;
}

export interface RoundResult {
  rate: number;
  /** Process CPU time (all threads) per unit of work, µs. */
  cpuMicros: number;
  /** The main thread's share of it (NaN where /proc is missing), µs. */
  mainCpuMicros: number;
}

/**
 * Runs every measurement once per round, rounds interleaved (a, b, c, a, b, c, …), after one warm-up
 * round that is not kept. Each run returns its rate and how many units it did, and the process CPU time
 * (µs, all threads) of its timed part when it has set-up outside the clock (else the whole call counts).
 * On a shared machine whose speed drifts, the ratio of two runs of the same round is far steadier than
 * the ratio of two rates taken at different moments: compare rounds with `medianRatio`.
 */
export async function interleavedRounds<Name extends string>(
  runs: Record<Name, () => Promise<{ rate: number; units: number; cpu?: number; mainCpu?: number }>>,
  rounds: number,
): Promise<Record<Name, RoundResult[]>> {
  const results = {} as Record<Name, RoundResult[]>;
  for (let round = -1; round < rounds; round++) {
    for (const name of Object.keys(runs) as Name[]) {
      const cpu = process.cpuUsage();
      const main = mainThreadCpuMicros();
      const run = await runs[name]();
      const used = process.cpuUsage(cpu);
      const usedMain = mainThreadCpuMicros() - main;
      if (round >= 0) {
        (results[name] ??= []).push({ rate: run.rate, cpuMicros: (run.cpu ?? used.user + used.system) / run.units, mainCpuMicros: (run.mainCpu ?? usedMain) / run.units });
      }
    }
  }
  return results;
}

/** Wall-clock seconds, process CPU µs (all threads) and the main thread's CPU µs of `work`. */
export async function clock<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; cpu: number; mainCpu: number }> {
  const cpu = process.cpuUsage();
  const main = mainThreadCpuMicros();
  const start = performance.now();
  const value = await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { value, seconds, cpu: used.user + used.system, mainCpu: mainThreadCpuMicros() - main };
}

/**
 * Bytes `work` allocates on this thread's heap, by V8's sampling heap profiler with the objects already
 * collected counted too: what the young-generation collections have to deal with, whatever the load.
 */
export async function allocatedBytes(work: () => Promise<unknown>): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await work();
    const { profile } = await session.post("HeapProfiler.stopSampling");
    let bytes = 0;
    const add = (node: typeof profile.head): void => {
      bytes += node.selfSize;
      for (const child of node.children) add(child);
    };
    add(profile.head);
    return bytes;
  } finally {
    session.disconnect();
  }
}

/** CPU µs (user + system) this process's main thread has used so far (Linux: /proc), or NaN elsewhere. */
export function mainThreadCpuMicros(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux build Node runs on. */
const CLOCK_TICKS = 100;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median over rounds of `of(a) / of(b)`, both taken in the same round. */
export function medianRatio(a: readonly RoundResult[], b: readonly RoundResult[], of: (result: RoundResult) => number): number {
  return median(a.map((result, round) => of(result) / of(b[round]!)));
}

/** acc's cost per unit beyond the baseline's, µs: the median over rounds of 1/rate − 1/baseline rate. */
export function medianOverheadMicros(a: readonly RoundResult[], baseline: readonly RoundResult[]): number {
  return median(a.map((result, round) => 1e6 / result.rate - 1e6 / baseline[round]!.rate));
}

/**
 * One line comparing a run with the baseline: its rate and CPU per unit (medians), the ratios (wall and
 * CPU, medians of per-round ratios) and its overhead per unit in µs (wall and CPU).
 */
export function comparisonLine(label: string, unit: string, rounds: readonly RoundResult[], baseline: readonly RoundResult[]): string {
  const rate = median(rounds.map((r) => r.rate));
  const cpu = median(rounds.map((r) => r.cpuMicros));
  const head = `  ${label.padEnd(28)} ${rate.toFixed(0).padStart(6)} ${unit}/s ${cpu.toFixed(0).padStart(4)} µs CPU each`;
  if (rounds === baseline) return head;
  const wall = medianRatio(rounds, baseline, (r) => r.rate);
  const cpuRatio = medianRatio(baseline, rounds, (r) => r.cpuMicros);
  const cpuOverhead = median(rounds.map((r, i) => r.cpuMicros - baseline[i]!.cpuMicros));
  return `${head}  ${wall.toFixed(2)}x wall ${cpuRatio.toFixed(2)}x CPU  ${signed(medianOverheadMicros(rounds, baseline))} µs wall ${signed(cpuOverhead)} µs CPU`;
}

const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(0)}`;
