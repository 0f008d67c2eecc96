import { spawnSync } from "node:child_process";
import { Agent, request } from "node:http";
import { join } from "node:path";

export const BENCH_DATA = join(import.meta.dirname, ".data");
export const REPO = join(import.meta.dirname, "..");

/** Builds dist/ so benchmarks time the shipped JavaScript, not a TypeScript loader. */
export function build(): void {
  const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: REPO, stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm run build failed");
}

/** Runs `node <args>` with the RSS reporter preloaded; returns wall seconds and peak RSS in MiB. */
export function timeNode(args: string[]): { seconds: number; peakRssMiB: number; stderr: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", join(import.meta.dirname, "report-rss.mjs"), ...args], {
    cwd: REPO,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${result.stderr}`);
  const kb = Number(/bench-max-rss-kb=(\d+)/.exec(result.stderr)?.[1] ?? Number.NaN);
  return { seconds, peakRssMiB: kb / 1024, stderr: result.stderr };
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/**
 * The raw HTTP baseline the client benches compare with: POST `total` bodies (cycling through
 * `bodies`) to `<url>/chat/completions`, `inFlight` at a time over a keep-alive agent, reading each
 * response to its end. Returns requests per second.
 */
export async function rawLoad(url: string, bodies: readonly string[], inFlight: number, total = bodies.length): Promise<number> {
  const target = new URL(`${url}/chat/completions`);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await post(bodies[next++ % bodies.length]!);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return total / seconds;
}

export interface RoundResult {
  rate: number;
  /** Process CPU time (all threads) per unit of work, µs. */
  cpuMicros: number;
}

/**
 * Runs every measurement once per round, rounds interleaved (a, b, c, a, b, c, …), after one warm-up
 * round that is not kept. Each run returns its rate and how many units it did. On a shared machine
 * whose speed drifts, the ratio of two runs of the same round is far steadier than the ratio of two
 * rates taken at different moments: compare rounds with `medianRatio`.
 */
export async function interleavedRounds<Name extends string>(runs: Record<Name, () => Promise<{ rate: number; units: number }>>, rounds: number): Promise<Record<Name, RoundResult[]>> {
  const results = {} as Record<Name, RoundResult[]>;
  for (let round = -1; round < rounds; round++) {
    for (const name of Object.keys(runs) as Name[]) {
      const cpu = process.cpuUsage();
      const { rate, units } = await runs[name]();
      const used = process.cpuUsage(cpu);
      if (round >= 0) (results[name] ??= []).push({ rate, cpuMicros: (used.user + used.system) / units });
    }
  }
  return results;
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
