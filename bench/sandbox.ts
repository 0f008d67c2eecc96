// The repo environment's sandbox cost (the third part of `npm run bench:rollout`): the same tool calls and
// episodes on the example repository in the box (bubblewrap, namespaces, tmpfs, acc's git store) and with
// --unsafe-no-sandbox (the same code path, commands on the host in a temporary folder: the fastest honest
// alternative that does the same work), interleaved, medians of per-round times. A third arm, the box
// without its memory cgroup, gives the cgroup's own share where the machine has one. Wall times, and the
// CPU time of acc and every process it waited for (/proc/self/stat), per episode.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RepoEnvironment } from "../src/envs/index.js";
import type { EnvSession } from "../src/envs/types.js";
import { fromDist } from "./common.js";

const CALLS: [string, Record<string, unknown>][] = [
  ["bash", { command: "true" }],
  ["view", { path: "textstats/counter.py" }],
  ["edit", { path: "textstats/counter.py", old_str: 'split(" ")', new_str: "split( )" }],
  ["edit", { path: "textstats/counter.py", old_str: "split( )", new_str: 'split(" ")' }],
];
const TASK = { id: "bench", question: "bench", base_commit: "HEAD", test_command: "python3 -c 'import textstats'" };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU ms used so far by this process and the children it has waited for (their own waited-for children included). */
function cpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ").at(-1)!.split(" ");
  // utime, stime, cutime, cstime: fields 14-17, in clock ticks (100 a second on Linux)
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) * 10;
}

async function timed<T>(action: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/** One round: an episode opened, the calls made `repeat` times, submitted, rewarded, closed; times in ms. */
async function round(env: RepoEnvironment, repeat: number): Promise<{ open: number; call: number; submit: number; reward: number; close: number; cpu: number }> {
  const cpu = cpuMs();
  let session: EnvSession | undefined;
  const open = await timed(async () => (session = await env.open(TASK)));
  const calls: number[] = [];
  for (let i = 0; i < repeat; i++) for (const [name, args] of CALLS) calls.push(await timed(() => session!.call(name, args)));
  let patch = "";
  const submit = await timed(async () => (patch = (await session!.call("submit", {})).submitted ?? ""));
  const reward = await timed(() => session!.reward({ answer: patch }));
  const close = await timed(() => session!.close());
  return { open, call: median(calls), submit, reward, close, cpu: cpuMs() - cpu };
}

/** acc's code from dist/ (the caller has built it). */
export async function sandboxCost(rounds = 5, repeat = 5): Promise<string[]> {
  const { RepoEnvironment } = await fromDist<typeof import("../src/envs/index.js")>("envs/index.js");
  const { DEFAULT_SANDBOX_LIMITS, sandboxMemory, sandboxProblem } = await fromDist<typeof import("../src/run/sandbox/index.js")>("run/sandbox/index.js");
  const problem = await sandboxProblem();
  if (problem) return [`sandbox cost: not measured (${problem})`];
  const dir = mkdtempSync(join(tmpdir(), "acc-bench-sandbox-"));
  execFileSync(process.execPath, [join(import.meta.dirname, "../examples/setup.mjs"), dir], { stdio: "ignore" });
  const repo = join(dir, "repo");
  const make = (unsafe: boolean, memoryCgroup?: false) => RepoEnvironment.create({ repo, sandbox: { limits: DEFAULT_SANDBOX_LIMITS, readOnly: [], unsafe, ...(memoryCgroup === false ? { memoryCgroup } : {}) }, testTimeoutMs: 60_000, maxChars: 4_000, jobs: 1 });
  const [boxed, noCgroup, unsafe] = [await make(false), await make(false, false), await make(true)];
  const memory = await sandboxMemory(DEFAULT_SANDBOX_LIMITS);
  const withCgroup = memory.includes("cgroup v");
  const results = { boxed: [] as Awaited<ReturnType<typeof round>>[], noCgroup: [] as Awaited<ReturnType<typeof round>>[], unsafe: [] as Awaited<ReturnType<typeof round>>[] };
  const load = [loadavg()[0]!];
  try {
    await round(boxed, 1); // warm-up
    if (withCgroup) await round(noCgroup, 1);
    await round(unsafe, 1);
    for (let i = 0; i < rounds; i++) {
      results.boxed.push(await round(boxed, repeat));
      if (withCgroup) results.noCgroup.push(await round(noCgroup, repeat));
      results.unsafe.push(await round(unsafe, repeat));
    }
    load.push(loadavg()[0]!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  type Round = Awaited<ReturnType<typeof round>>;
  const compare = (of: Round[], against: Round[], names: [string, string], unit = "ms") => (label: string, pick: (r: Round) => number) => {
    const [a, b] = [median(of.map(pick)), median(against.map(pick))];
    const delta = a - b;
    return `  ${label.padEnd(34)} ${a.toFixed(1).padStart(8)} ${unit} ${names[0]}, ${b.toFixed(1).padStart(8)} ${unit} ${names[1]}: ${delta < 0 ? "−" : "+"}${Math.abs(delta).toFixed(1)} ${unit} (${(a / b).toFixed(2)}×)`;
  };
  const episode = (r: Round) => r.open + r.submit + r.reward + r.close;
  const row = compare(results.boxed, results.unsafe, ["in the box", "unconfined"]);
  const cgroupRow = compare(results.boxed, results.noCgroup, ["with", "without"]);
  return [
    `sandbox cost (repo environment, example repository; medians of ${rounds} interleaved rounds against --unsafe-no-sandbox; load ${load.map((l) => l.toFixed(1)).join(" → ")}):`,
    `  sandbox ${memory}`,
    row("per tool call (bash, view, edit)", (r) => r.call),
    row("episode start (box, tree, git)", (r) => r.open),
    row("submit (snapshot, patch)", (r) => r.submit),
    row("reward (fresh box, test command)", (r) => r.reward),
    row("close", (r) => r.close),
    row("per episode, tool calls apart", episode),
    compare(results.boxed, results.unsafe, ["CPU in the box", "CPU unconfined"])(`CPU per episode (${4 * repeat} calls)`, (r) => r.cpu),
    ...(withCgroup
      ? [
          "the memory cgroup's share (the same box with and without its group, interleaved):",
          cgroupRow("per tool call (bash, view, edit)", (r) => r.call),
          cgroupRow("per episode, tool calls apart", episode),
          compare(results.boxed, results.noCgroup, ["CPU with", "CPU without"])(`CPU per episode (${4 * repeat} calls)`, (r) => r.cpu),
        ]
      : []),
  ];
}
