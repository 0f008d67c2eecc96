// npm run bench:mine [-- <repository> …]
// `acc mine` end to end (the CLI, on the built code) on real repositories of different merge styles, each
// against raw `git log --numstat` on the same repository in the same run: a warm-up round, then 3 rounds
// interleaved (git log, acc, floor, git log, acc, floor, …). Each figure is compared twice: by wall time and
// by CPU time (acc's CPU includes the git processes it runs; read from /proc as the CPU of waited-for
// children, so the machine's load, which stretches wall time, barely moves it). Each ratio is the median of
// the per-round ratios, and each workload's line names the load average it ran under. Target: ≤ 5× on each.
// Repositories: the paths given, else snapshots of psf/requests (merge commits), encode/httpx (squash) and
// nodejs/node-addon-api (rebase with PR-URL trailers) under $ACC_MINE_REPOS (the layout `fetch` writes,
// owner+name/repo, or clones named owner+name or name; see docs/commands/mine.md). Missing ones are skipped
// with a message. A generated 5,000-commit repository with PR-shaped history is always measured too.
// The floor, timed in the same rounds, is the git reads any implementation must do and nothing of acc's:
// every commit's metadata and message, and the mainline's patches with renames and context (lineage and the
// gold patches are read from them), output read and discarded. Node's own start-up (`node -e 0`) is printed
// beside it, not added: a program in another language would not pay it. acc's Node CPU is split into its main
// thread (the JavaScript) and the rest (V8's concurrent compiler and GC threads, libuv's pool): on 2 cores the
// main thread, not the sum, is what the elapsed time waits for.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { basename, join } from "node:path";
import { BENCH_DATA, build, fromDist, median, REPO } from "./common.js";
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

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat on every Linux architecture acc runs on
/** CPU seconds (user + system) of this process's terminated, waited-for children and their own waited-for children. */
function childrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on: the name may hold spaces
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND; // cutime, cstime: fields 16 and 17
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
  stderr?: string;
}

/** Wall and CPU seconds of `command args` (its children included), its output read and discarded. */
function time(command: string, args: string[], env?: NodeJS.ProcessEnv): Timing {
  const cpu = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30, ...(env ? { env } : {}) });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 6).join(" ")} … failed:\n${result.stderr}`);
  return { seconds, cpuSeconds: childrenCpuSeconds() - cpu, stderr: result.stderr.toString() };
}

const add = (a: Timing, b: Timing): Timing => ({ seconds: a.seconds + b.seconds, cpuSeconds: a.cpuSeconds + b.cpuSeconds });
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const ratioOf = (a: Timing[], b: Timing[], of: (t: Timing) => number) => median(a.map((t, round) => of(t) / of(b[round]!)));

/**
 * What bench/report-rss.mjs, preloaded into acc, printed at its exit, over its node processes (acc relaunches
 * itself for a mine: src/cli/relaunch.ts): the largest peak RSS (MiB), and the CPU seconds (git's not
 * included), in all and on their main threads, and minor page faults, summed.
 */
function selfReport(stderr = ""): { peakRssMiB: number; cpuSeconds: number; mainCpuSeconds: number; faults: number } {
  const values = (key: string) => [...stderr.matchAll(new RegExp(`${key}=(\\d+)`, "g"))].map((m) => Number(m[1]));
  const total = (key: string) => (values(key).length === 0 ? Number.NaN : values(key).reduce((a, b) => a + b, 0));
  return {
    peakRssMiB: Math.max(...values("bench-max-rss-kb")) / 1024,
    cpuSeconds: total("bench-cpu-us") / 1e6,
    mainCpuSeconds: total("bench-main-cpu-us") / 1e6,
    faults: total("bench-faults"),
  };
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
/** The git reads any implementation must do on `repo` (see the header), run as acc runs them. */
function timeFloor(repo: string): Timing {
  const env = gitEnvironment();
  return add(time("git", gitArguments(repo, commitLogArguments("HEAD")), env), time("git", gitArguments(repo, mainlinePatchArguments("HEAD")), env));
}
const { mineRepository } = await fromDist<typeof import("../src/mine/run.js")>("mine/run.js");
const { tierUpLater } = await fromDist<typeof import("../src/cli/tier-up.js")>("cli/tier-up.js");
const { writeMineOutputs } = await fromDist<typeof import("../src/mine/write.js")>("mine/write.js");

/**
 * Where one mine's time goes, phase by phase (the library run in this process, as the CLI runs it): CPU of
 * this process (Node: JavaScript, GC, I/O) and of the git processes that ended in the phase, from the
 * progress events that start each phase, and the GC pauses (wall time) of the whole run.
 */
async function phases(repo: string, name: string, dir: string): Promise<{ rows: { phase: string; node: number; git: number }[]; gcPauseSeconds: number }> {
  const marks: { phase: string; node: number; git: number }[] = [];
  const mark = (phase: string) => {
    const used = process.cpuUsage();
    marks.push({ phase, node: (used.user + used.system) / 1e6, git: childrenCpuSeconds() });
  };
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  const labels: Record<string, string> = {
    history: "history: every commit (git log -z), PR recovery",
    lineage: "lineage: mainline patches parsed (git log -p), blame replay; links; chains",
    stages: "stages: gold patches (git diff-tree, cat-file), statements, leak check, instances",
  };
  tierUpLater(); // as the mine command does for its process
  let current = "history";
  mark(labels.history!);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await mineRepository({
    repo,
    repoName: name,
    allowShallow: true,
    onProgress: ({ phase }) => {
      if (phase === current || labels[phase] === undefined) return;
      current = phase;
      mark(labels[phase]!);
    },
  });
  mark("write: JSON lines of every record");
  await writeMineOutputs(result, dir);
  mark("end");
  await new Promise((resolve) => setImmediate(resolve)); // the observer's last entries
  observer.disconnect();
  const rows = marks.slice(0, -1).map((m, i) => ({ phase: m.phase, node: marks[i + 1]!.node - m.node, git: marks[i + 1]!.git - m.git }));
  return { rows, gcPauseSeconds: gcMs / 1000 };
}

const out = join(BENCH_DATA, "mine-out");
const rows: string[] = [];
for (const { label, repo, name } of workloads) {
  const accArgs = ["dist/cli/main.js", "mine", repo, "-o", out, "-q", "--repo-name", name, "--allow-shallow", "--overwrite"];
  const reported = ["--import", join(import.meta.dirname, "report-rss.mjs"), ...accArgs];
  const git: Timing[] = [];
  const acc: Timing[] = [];
  const floor: Timing[] = [];
  const start: Timing[] = [];
  const help: Timing[] = [];
  const loads: string[] = [load()];
  for (let round = -1; round < ROUNDS; round++) {
    const gitTiming = time("git", ["-C", repo, "log", "--numstat"]);
    const accTiming = time(process.execPath, reported);
    const floorTiming = timeFloor(repo);
    const startTiming = time(process.execPath, ["-e", "0"]);
    const helpTiming = time(process.execPath, ["dist/cli/main.js", "mine", "--help"]);
    if (round < 0) continue;
    help.push(helpTiming);
    git.push(gitTiming);
    acc.push(accTiming);
    floor.push(floorTiming);
    start.push(startTiming);
  }
  loads.push(load());
  const selves = acc.map((t) => selfReport(t.stderr));
  const rss = Math.max(...selves.map((s) => s.peakRssMiB));
  const nodeCpu = median(selves.map((s) => s.cpuSeconds));
  const mainCpu = median(selves.map((s) => s.mainCpuSeconds));
  const faults = median(selves.map((s) => s.faults));
  const stats = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).stats;
  const med = (timings: Timing[], of: (t: Timing) => number) => median(timings.map(of)).toFixed(2);
  const wall = (t: Timing) => t.seconds;
  const cpu = (t: Timing) => t.cpuSeconds;
  const cpuRatio = ratioOf(acc, git, cpu);
  const wallRatio = ratioOf(acc, git, wall);
  const floorCpu = ratioOf(floor, git, cpu);
  const floorWall = ratioOf(floor, git, wall);
  console.log(`\n${label}: ${repo} (load average ${loads.join(" → ")})`);
  console.log(`  commits ${stats.commits} (first-parent ${stats.mainline}); PRs ${sum(stats.prsByMethod)} ${JSON.stringify(stats.prsByMethod)}; links ${sum(stats.linksByKind)}; chains ${sum(stats.chainsByLength)}; stages ${sum(stats.stagesByLabel)} (+${stats.stagesRejected} rejected)`);
  console.log(`  git log --numstat ${med(git, cpu)} CPU-s ${med(git, wall)} s; acc mine ${med(acc, cpu)} CPU-s ${med(acc, wall)} s; floor ${med(floor, cpu)} CPU-s ${med(floor, wall)} s; node start-up ${med(start, cpu)} CPU-s; acc's peak RSS ${rss.toFixed(0)} MiB, ${faults.toFixed(0)} page faults (git's not included)`);
  console.log(`  acc mine / git log --numstat: ${cpuRatio.toFixed(1)}× CPU, ${wallRatio.toFixed(1)}× wall (target ≤ 5×); floor / git log --numstat: ${floorCpu.toFixed(1)}× CPU, ${floorWall.toFixed(1)}× wall`);
  const accCpu = median(acc.map(cpu));
  console.log(
    `  acc's ${accCpu.toFixed(2)} CPU-s: Node ${nodeCpu.toFixed(2)} (main thread ${mainCpu.toFixed(2)}, V8's compiler and GC threads and libuv's pool ${(nodeCpu - mainCpu).toFixed(2)}), git processes ${(accCpu - nodeCpu).toFixed(2)} (the floor's git: ${med(floor, cpu)}); main thread / git log --numstat: ${median(selves.map((s, round) => s.mainCpuSeconds / git[round]!.cpuSeconds)).toFixed(1)}×`,
  );
  if (cpuRatio > 5) {
    const breakdown = await phases(repo, name, join(BENCH_DATA, "mine-phases"));
    console.log(`  over target by CPU; where it goes, CPU-s (one more mine, in this process${breakdown.gcPauseSeconds > 0 ? `; GC paused it ${breakdown.gcPauseSeconds.toFixed(2)} s wall in all` : ""}):`);
    console.log(`    ${med(help, cpu).padStart(5)} Node     start-up: node and acc's modules (acc mine --help; bare node -e 0: ${med(start, cpu)})`);
    for (const { phase, node, git } of breakdown.rows) console.log(`    ${node.toFixed(2).padStart(5)} Node ${git.toFixed(2).padStart(5)} git  ${phase}`);
  }
  rows.push(
    `| ${label} | ${stats.commits} | ${med(git, cpu)} / ${med(git, wall)} s | ${med(acc, cpu)} / ${med(acc, wall)} s | ${nodeCpu.toFixed(2)} / ${mainCpu.toFixed(2)} | **${cpuRatio.toFixed(1)}×** / ${wallRatio.toFixed(1)}× | ${floorCpu.toFixed(1)}× / ${floorWall.toFixed(1)}× | ${rss.toFixed(0)} MiB | ${faults.toFixed(0)} | ${loads.join(" → ")} |`,
  );
}
console.log(
  `\n${["| repository | commits | git log --numstat (CPU / wall) | acc mine (CPU / wall) | its Node CPU (all threads / main) | ratio (CPU / wall) | floor ratio (CPU / wall) | peak RSS | page faults | load average |", "|---|---|---|---|---|---|---|---|---|---|", ...rows].join("\n")}`,
);
