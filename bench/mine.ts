// npm run bench:mine [-- <repository> …]
// `acc mine` end to end (the CLI, on the built code) on real repositories of different merge styles, each
// against raw `git log --numstat` on the same repository in the same run: a warm-up round, then 3 rounds
// interleaved (git, acc, git, acc, …); the ratio is the median of the per-round ratios. Target: ≤ 5× on each.
// Repositories: the paths given, else snapshots of psf/requests (merge commits), encode/httpx (squash) and
// nodejs/node-addon-api (rebase with PR-URL trailers) under $ACC_MINE_REPOS (the layout `fetch` writes,
// owner+name/repo, or clones named owner+name or name; see docs/commands/mine.md). Missing ones are skipped
// with a message. A generated 5,000-commit repository with PR-shaped history is always measured too.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BENCH_DATA, build, median, timeNode } from "./common.js";
import { buildBenchRepo } from "./mine-repo.js";

const ROUNDS = 3;
const REAL = [
  { name: "psf/requests", style: "merge commits" },
  { name: "encode/httpx", style: "squash" },
  { name: "nodejs/node-addon-api", style: "rebase (PR-URL trailers)" },
];

function countCommits(repo: string): number {
  const result = spawnSync("git", ["-C", repo, "rev-list", "--count", "HEAD"], { encoding: "utf8" });
  return result.status === 0 ? Number(result.stdout.trim()) : 0;
}

function findSnapshot(dir: string, repo: string): string | undefined {
  const [owner, name] = repo.split("/") as [string, string];
  return [join(dir, `${owner}+${name}`, "repo"), join(dir, `${owner}+${name}`), join(dir, name)].find((path) => existsSync(path));
}

/** Wall seconds of raw `git log --numstat` over the whole history, its output read and discarded. */
function timeGitLog(repo: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync("git", ["-C", repo, "log", "--numstat"], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git log --numstat failed in ${repo}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const workloads: { label: string; repo: string; name: string }[] = [];
const given = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
if (given.length > 0) {
  for (const repo of given) workloads.push({ label: basename(repo), repo, name: `bench/${basename(repo).replace(/[^\w.-]/g, "-")}` });
} else {
  const dir = process.env.ACC_MINE_REPOS;
  for (const { name, style } of REAL) {
    const repo = dir === undefined ? undefined : findSnapshot(dir, name);
    if (repo) workloads.push({ label: `${name} (${style})`, repo, name });
    else console.log(`skipped ${name}: ${dir === undefined ? "set ACC_MINE_REPOS to the folder of the snapshots" : `no snapshot under ${dir}`} (docs/commands/mine.md says how to fetch it)`);
  }
}
mkdirSync(BENCH_DATA, { recursive: true });
const generated = join(BENCH_DATA, "mine-repo-5000.git");
if (countCommits(generated) < 5000) {
  rmSync(generated, { recursive: true, force: true });
  await buildBenchRepo(generated, 5000);
}
workloads.push({ label: "generated PR-shaped history", repo: generated, name: "bench/repo" });

build();
const out = join(BENCH_DATA, "mine-out");
const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const startup: number[] = [];
const rows: string[] = [];
for (const { label, repo, name } of workloads) {
  const git: number[] = [];
  const acc: number[] = [];
  let peakRssMiB = 0;
  for (let round = -1; round < ROUNDS; round++) {
    const gitSeconds = timeGitLog(repo);
    rmSync(out, { recursive: true, force: true });
    const timed = timeNode(["dist/cli/main.js", "mine", repo, "-o", out, "-q", "--repo-name", name, "--allow-shallow"]);
    if (round < 0) continue;
    git.push(gitSeconds);
    acc.push(timed.seconds);
    peakRssMiB = Math.max(peakRssMiB, timed.peakRssMiB);
    startup.push(timeNode(["dist/cli/main.js", "--version"]).seconds);
  }
  const stats = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).stats;
  const ratio = median(acc.map((seconds, round) => seconds / git[round]!));
  console.log(`\n${label}: ${repo}`);
  console.log(`  commits ${stats.commits} (first-parent ${stats.mainline}); PRs ${sum(stats.prsByMethod)} ${JSON.stringify(stats.prsByMethod)}; links ${sum(stats.linksByKind)}; chains ${sum(stats.chainsByLength)}; stages ${sum(stats.stagesByLabel)} (+${stats.stagesRejected} rejected)`);
  console.log(`  git log --numstat ${median(git).toFixed(2)} s; acc mine ${median(acc).toFixed(2)} s; peak RSS ${peakRssMiB.toFixed(0)} MiB`);
  console.log(`  ratio acc mine / git log --numstat: ${ratio.toFixed(1)}× (target ≤ 5×)`);
  rows.push(`| ${label} | ${stats.commits} | ${median(git).toFixed(2)} s | ${median(acc).toFixed(2)} s | ${ratio.toFixed(1)}× | ${peakRssMiB.toFixed(0)} MiB |`);
}
console.log(`\nCLI start-up alone (acc --version): ${median(startup).toFixed(2)} s of each acc mine run\n`);
console.log(["| repository | commits | git log --numstat | acc mine | ratio | peak RSS |", "|---|---|---|---|---|---|", ...rows].join("\n"));
