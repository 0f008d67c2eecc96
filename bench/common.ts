import { spawnSync } from "node:child_process";
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
