// The repo environment's sandbox cost (the third part of `npm run bench:rollout`): the same tool calls and
// episodes on the example repository in the box (bubblewrap, namespaces, tmpfs, acc's git store) and with
// --unsafe-no-sandbox (the same code path, commands on the host in a temporary folder: the fastest honest
// alternative that does the same work), interleaved, medians of per-round times.
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

async function timed<T>(action: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/** One round: an episode opened, the calls made `repeat` times, submitted, rewarded, closed; times in ms. */
async function round(env: RepoEnvironment, repeat: number): Promise<{ open: number; call: number; submit: number; reward: number; close: number }> {
  let session: EnvSession | undefined;
  const open = await timed(async () => (session = await env.open(TASK)));
  const calls: number[] = [];
  for (let i = 0; i < repeat; i++) for (const [name, args] of CALLS) calls.push(await timed(() => session!.call(name, args)));
  let patch = "";
  const submit = await timed(async () => (patch = (await session!.call("submit", {})).submitted ?? ""));
  const reward = await timed(() => session!.reward({ answer: patch }));
  const close = await timed(() => session!.close());
  return { open, call: median(calls), submit, reward, close };
}

/** acc's code from dist/ (the caller has built it). */
export async function sandboxCost(rounds = 5, repeat = 5): Promise<string[]> {
  const { RepoEnvironment } = await fromDist<typeof import("../src/envs/index.js")>("envs/index.js");
  const { DEFAULT_SANDBOX_LIMITS, sandboxProblem } = await fromDist<typeof import("../src/run/sandbox/index.js")>("run/sandbox/index.js");
  const problem = await sandboxProblem();
  if (problem) return [`sandbox cost: not measured (${problem})`];
  const dir = mkdtempSync(join(tmpdir(), "acc-bench-sandbox-"));
  execFileSync(process.execPath, [join(import.meta.dirname, "../examples/setup.mjs"), dir], { stdio: "ignore" });
  const repo = join(dir, "repo");
  const make = (unsafe: boolean) => RepoEnvironment.create({ repo, sandbox: { limits: DEFAULT_SANDBOX_LIMITS, readOnly: [], unsafe }, testTimeoutMs: 60_000, maxChars: 4_000, jobs: 1 });
  const [boxed, unsafe] = [await make(false), await make(true)];
  const results = { boxed: [] as Awaited<ReturnType<typeof round>>[], unsafe: [] as Awaited<ReturnType<typeof round>>[] };
  try {
    await round(boxed, 1); // warm-up
    await round(unsafe, 1);
    for (let i = 0; i < rounds; i++) {
      results.boxed.push(await round(boxed, repeat));
      results.unsafe.push(await round(unsafe, repeat));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (label: string, pick: (r: Awaited<ReturnType<typeof round>>) => number) => {
    const box = median(results.boxed.map(pick));
    const host = median(results.unsafe.map(pick));
    const delta = box - host;
    return `  ${label.padEnd(34)} ${box.toFixed(1).padStart(8)} ms in the box, ${host.toFixed(1).padStart(8)} ms unconfined: ${delta < 0 ? "−" : "+"}${Math.abs(delta).toFixed(1)} ms (${(box / host).toFixed(2)}×)`;
  };
  const episode = (r: Awaited<ReturnType<typeof round>>) => r.open + r.submit + r.reward + r.close;
  return [
    `sandbox cost (repo environment, example repository; medians of ${rounds} interleaved rounds against --unsafe-no-sandbox):`,
    row("per tool call (bash, view, edit)", (r) => r.call),
    row("episode start (box, tree, git)", (r) => r.open),
    row("submit (snapshot, patch)", (r) => r.submit),
    row("reward (fresh box, test command)", (r) => r.reward),
    row("close", (r) => r.close),
    row("per episode, tool calls apart", episode),
  ];
}
