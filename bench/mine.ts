// npm run bench:mine [-- <repository> …]
// `acc mine` end to end (the CLI, on the built code) on real repositories of different merge styles, each
// against raw `git log --numstat` on the same repository in the same run: a warm-up round, then 3 rounds
// interleaved (git, acc, git, acc, …); the ratio is the median of the per-round ratios. Target: ≤ 5× on each.
// Repositories: the paths given, else snapshots of psf/requests (merge commits), encode/httpx (squash) and
// nodejs/node-addon-api (rebase with PR-URL trailers) under $ACC_MINE_REPOS (the layout `fetch` writes,
// owner+name/repo, or clones named owner+name or name; see docs/commands/mine.md). Missing ones are skipped
// with a message. A generated 5,000-commit repository with PR-shaped history is always measured too.
// The floor, timed in the same rounds: the two git commands acc cannot do without (every commit's metadata
// and message, and the mainline's patches with renames and context, which lineage and the gold patches are
// read from), their output read and discarded; plus the CLI's start-up (`acc mine --help`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BENCH_DATA, build, fromDist, median, timeNode } from "./common.js";
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

/** Wall seconds of git with `args` (run as given), its output read and discarded. */
function timeGit(args: string[], env?: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync("git", args, { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 30, ...(env ? { env } : {}) });
  if (result.status !== 0) throw new Error(`git ${args.slice(0, 4).join(" ")} … failed`);
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
const { commitLogArguments, mainlinePatchArguments } = await fromDist<typeof import("../src/mine/history.js")>("mine/history.js");
const { gitArguments, gitEnvironment } = await fromDist<typeof import("../src/mine/git.js")>("mine/git.js");
/** Wall seconds of the git work acc must do on `repo` (see the header). */
function timeFloor(repo: string): number {
  return timeGit(gitArguments(repo, commitLogArguments("HEAD")), gitEnvironment()) + timeGit(gitArguments(repo, mainlinePatchArguments("HEAD")), gitEnvironment());
}
const out = join(BENCH_DATA, "mine-out");
const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const rows: string[] = [];
for (const { label, repo, name } of workloads) {
  const git: number[] = [];
  const acc: number[] = [];
  const floor: number[] = [];
  let peakRssMiB = 0;
  for (let round = -1; round < ROUNDS; round++) {
    const gitSeconds = timeGit(["-C", repo, "log", "--numstat"]);
    rmSync(out, { recursive: true, force: true });
    const timed = timeNode(["dist/cli/main.js", "mine", repo, "-o", out, "-q", "--repo-name", name, "--allow-shallow"]);
    const floorSeconds = timeFloor(repo) + timeNode(["dist/cli/main.js", "mine", "--help"]).seconds;
    if (round < 0) continue;
    git.push(gitSeconds);
    acc.push(timed.seconds);
    floor.push(floorSeconds);
    peakRssMiB = Math.max(peakRssMiB, timed.peakRssMiB);
  }
  const stats = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).stats;
  const ratio = median(acc.map((seconds, round) => seconds / git[round]!));
  const floorRatio = median(floor.map((seconds, round) => seconds / git[round]!));
  console.log(`\n${label}: ${repo}`);
  console.log(`  commits ${stats.commits} (first-parent ${stats.mainline}); PRs ${sum(stats.prsByMethod)} ${JSON.stringify(stats.prsByMethod)}; links ${sum(stats.linksByKind)}; chains ${sum(stats.chainsByLength)}; stages ${sum(stats.stagesByLabel)} (+${stats.stagesRejected} rejected)`);
  console.log(`  git log --numstat ${median(git).toFixed(2)} s; acc mine ${median(acc).toFixed(2)} s; floor ${median(floor).toFixed(2)} s; peak RSS ${peakRssMiB.toFixed(0)} MiB`);
  console.log(`  ratio acc mine / git log --numstat: ${ratio.toFixed(1)}× (target ≤ 5×); floor / git log --numstat: ${floorRatio.toFixed(1)}×`);
  rows.push(`| ${label} | ${stats.commits} | ${median(git).toFixed(2)} s | ${median(acc).toFixed(2)} s | ${ratio.toFixed(1)}× | ${floorRatio.toFixed(1)}× | ${peakRssMiB.toFixed(0)} MiB |`);
}
console.log(`\n${["| repository | commits | git log --numstat | acc mine | ratio | floor ratio | peak RSS |", "|---|---|---|---|---|---|---|", ...rows].join("\n")}`);
