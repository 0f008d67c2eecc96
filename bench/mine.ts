// npm run bench:mine [-- --commits 5000]
// `acc mine` end to end on a generated repository with PR-shaped history, against raw
// `git log --numstat` on the same repository in the same run (median of 3 each). Target: ≤ 10×.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DATA, build, timeNode } from "./common.js";
import { buildBenchRepo } from "./mine-repo.js";

const commitsArg = process.argv.indexOf("--commits");
const minCommits = commitsArg > 0 ? Number(process.argv[commitsArg + 1]) : 5000;
const RUNS = 3;

function countCommits(repo: string): number {
  const result = spawnSync("git", ["-C", repo, "rev-list", "--count", "HEAD"], { encoding: "utf8" });
  return result.status === 0 ? Number(result.stdout.trim()) : 0;
}

/** Wall seconds of raw `git log --numstat` over the whole history, its output read and discarded. */
function timeGitLog(repo: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync("git", ["-C", repo, "log", "--numstat"], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error("git log --numstat failed");
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

mkdirSync(BENCH_DATA, { recursive: true });
const repo = join(BENCH_DATA, `mine-repo-${minCommits}.git`);
if (countCommits(repo) < minCommits) {
  rmSync(repo, { recursive: true, force: true });
  const started = Date.now();
  await buildBenchRepo(repo, minCommits);
  console.log(`built ${repo} (${countCommits(repo)} commits) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
build();
const out = join(BENCH_DATA, "mine-out");
const baseline: number[] = [];
const acc: number[] = [];
let peakRssMiB = 0;
for (let run = 0; run < RUNS; run++) {
  baseline.push(timeGitLog(repo));
  rmSync(out, { recursive: true, force: true });
  const timed = timeNode(["dist/cli/main.js", "mine", repo, "-o", out, "-q", "--repo-name", "bench/repo"]);
  acc.push(timed.seconds);
  peakRssMiB = Math.max(peakRssMiB, timed.peakRssMiB);
}
if (!existsSync(join(out, "manifest.json"))) throw new Error("acc mine wrote no manifest");
const stats = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).stats;
const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

console.log(`commits ${stats.commits} (first-parent ${stats.mainline}); PRs ${sum(stats.prsByMethod)} (${JSON.stringify(stats.prsByMethod)}), bots ${stats.botPrs}`);
console.log(`links ${sum(stats.linksByKind)} ${JSON.stringify(stats.linksByKind)}; chains ${sum(stats.chainsByLength)}; stages ${sum(stats.stagesByLabel)}`);
console.log(`git log --numstat: ${median(baseline).toFixed(2)} s (runs ${baseline.map((s) => s.toFixed(2)).join(", ")})`);
console.log(`acc mine end to end: ${median(acc).toFixed(2)} s (runs ${acc.map((s) => s.toFixed(2)).join(", ")}), peak RSS ${peakRssMiB.toFixed(0)} MiB`);
console.log(`ratio acc mine / git log --numstat: ${(median(acc) / median(baseline)).toFixed(1)}x (target ≤ 10x)`);
