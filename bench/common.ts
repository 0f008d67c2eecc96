import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";

export const BENCH_DATA = join(import.meta.dirname, ".data");
export const REPO = join(import.meta.dirname, "..");

/** Builds dist/ so benchmarks time the shipped JavaScript, not a TypeScript loader (once: not again in a bench's flagged pass). */
export function build(): void {
  if (FLAGGED_PASS) return;
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

/**
 * Endpoint benches measure twice. acc's CLI runs eval, teach and rollout in a node started with
 * `--max-semi-space-size=64` (src/cli/relaunch.ts), so the main pass runs in a process started with it:
 * acc as `acc eval`/`acc teach` run it, and the raw client, in the same process, given it too. A shorter
 * pass first, in the bench's own process, runs both sides with V8's default: what the flag does for each,
 * and so which raw client is the faster one to compare with.
 */
export const FLAGGED_PASS = process.env.ACC_BENCH_PASS === "semi-space";

/** Medians of a pass with V8's default young generation, handed to the flagged pass. */
export interface DefaultPass {
  raw: { rate: number; cpuMicros: number };
  acc: { rate: number; cpuMicros: number };
}

/** Runs this bench again with acc's semi-space flag (the flagged pass), with `pass`'s medians in its environment. */
export async function runFlaggedPass(pass: DefaultPass): Promise<void> {
  const { SEMI_SPACE_FLAG } = await fromDist<typeof import("../src/cli/relaunch.js")>("cli/relaunch.js");
  const result = spawnSync(process.execPath, [...process.execArgv, SEMI_SPACE_FLAG, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, ACC_BENCH_PASS: "semi-space", ACC_BENCH_DEFAULT_PASS: JSON.stringify(pass) },
  });
  if (result.status !== 0) throw new Error(`the pass with ${SEMI_SPACE_FLAG} failed`);
}

/** In the flagged pass: the default pass's medians. */
export function defaultPass(): DefaultPass {
  return JSON.parse(process.env.ACC_BENCH_DEFAULT_PASS!) as DefaultPass;
}

/** A pass's medians of rate and CPU per unit. */
export function passMedians(rounds: readonly RoundResult[]): { rate: number; cpuMicros: number } {
  return { rate: median(rounds.map((r) => r.rate)), cpuMicros: median(rounds.map((r) => r.cpuMicros)) };
}

/**
 * The lines comparing the two passes (medians of each, taken minutes apart in two processes, so not
 * interleaved): the raw client and acc with and without the flag, and acc as the CLI runs it against the
 * faster of the two raw clients.
 */
export function passLines(unit: string, flagged: DefaultPass): string[] {
  const base = defaultPass();
  const line = (label: string, a: { rate: number; cpuMicros: number }, b: { rate: number; cpuMicros: number }) =>
    `    ${label.padEnd(44)} ${(a.rate / b.rate).toFixed(2)}x rate ${(b.cpuMicros / a.cpuMicros).toFixed(2)}x CPU`;
  const fasterRaw = flagged.raw.cpuMicros <= base.raw.cpuMicros ? flagged.raw : base.raw;
  const fasterWall = flagged.raw.rate >= base.raw.rate ? flagged.raw : base.raw;
  return [
    `  the two passes (medians; 64 MiB semi-spaces against V8's default, ${unit}s of each side):`,
    line("raw client, 64 MiB / default", flagged.raw, base.raw),
    line("acc, 64 MiB / default", flagged.acc, base.acc),
    line("acc, default / raw, default", base.acc, base.raw),
    `    acc as the CLI runs it / the faster raw client   ${(flagged.acc.rate / fasterWall.rate).toFixed(2)}x wall (raw ${fasterWall === flagged.raw ? "with" : "without"} the flag) ${(fasterRaw.cpuMicros / flagged.acc.cpuMicros).toFixed(2)}x CPU (raw ${fasterRaw === flagged.raw ? "with" : "without"} the flag)`,
  ];
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

/** A quantile in [0, 1) fixed by `n` (Knuth's multiplicative hash): workloads with a spread the same in every run and on both sides. */
export function fixedQuantile(n: number): number {
  return ((n * 2654435761) % 2 ** 32) / 2 ** 32;
}

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
