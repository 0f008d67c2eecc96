import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MINE_SEMI_SPACE_FLAG, relaunchArgs, SEMI_SPACE_FLAG } from "../../src/cli/relaunch.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { builtCli } from "../helpers/built-cli.js";
import { FixtureRepo } from "../mine/fixture-repo.js";
import { tempDir } from "../helpers/collect.js";
import { itemSample, writeSamples } from "../teach/helpers.js";

// eval, teach and rollout run in a second node with a larger young generation (src/cli/relaunch.ts): the
// flag must be in effect there, and the pair must look like one acc from outside (exit codes, signals, kill -9).

const { main } = await builtCli();

test("which commands are relaunched: eval, teach, rollout, mine; not their --help, a --queue producer, mine snapshot, short commands, or a node given a semi-space size", () => {
  const args = (argv: string[], execArgv: string[] = [], env: NodeJS.ProcessEnv = {}) => relaunchArgs("/acc/main.js", argv, execArgv, env)?.args;
  const added = (argv: string[], env: NodeJS.ProcessEnv = {}) => relaunchArgs("/acc/main.js", argv, [], env)?.env;
  assert.deepEqual(args(["teach", "in.jsonl", "-o", "out"], ["--import", "tsx"]), ["--import", "tsx", SEMI_SPACE_FLAG, "/acc/main.js", "teach", "in.jsonl", "-o", "out"]);
  assert.deepEqual(args(["--debug", "eval", "mrcr"]), [SEMI_SPACE_FLAG, "/acc/main.js", "--debug", "eval", "mrcr"]);
  assert.ok(args(["rollout", "--tasks", "t.jsonl"]));
  assert.deepEqual(args(["mine", "repo", "-o", "out"]), [MINE_SEMI_SPACE_FLAG, "/acc/main.js", "mine", "repo", "-o", "out"]);
  for (const argv of [["--version"], ["--help"], [], ["import", "logs"], ["compile", "t.jsonl"], ["worker", "teach"], ["eval", "--help"], ["teach", "-h"], ["teach", "x", "--queue", "redis://q"], ["eval", "--queue=redis://q"], ["export", "--", "eval"], ["mine", "--help"], ["mine", "snapshot", "id", "--stage", "1", "-o", "s"]]) {
    assert.equal(args(argv), undefined, argv.join(" "));
  }
  // the user's own size wins, in either spelling, from NODE_OPTIONS or node's flags; a relaunched process never relaunches
  assert.equal(args(["teach"], [], { NODE_OPTIONS: "--max-old-space-size=4096 --max-semi-space-size=32" }), undefined);
  assert.equal(args(["teach"], ["--max_semi_space_size=8"]), undefined);
  assert.equal(args(["mine", "repo"], ["--semi-space-size=8"]), undefined);
  assert.equal(args(["teach"], [], { ACC_RELAUNCHED_FROM: "1" }), undefined);
  assert.ok(args(["teach"], [], { NODE_OPTIONS: "--max-old-space-size=4096" }));
  // the relaunched mine's malloc asks for huge pages, beside the user's own tunables; a hugetlb setting of the user's wins; the others keep glibc's default
  assert.equal(added(["mine", "repo"])!.GLIBC_TUNABLES, "glibc.malloc.hugetlb=1");
  assert.equal(added(["mine", "repo"], { GLIBC_TUNABLES: "glibc.malloc.arena_max=2" })!.GLIBC_TUNABLES, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  assert.equal(added(["mine", "repo"], { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" })!.GLIBC_TUNABLES, undefined);
  assert.equal(added(["teach"])!.GLIBC_TUNABLES, undefined);
  assert.equal(added(["teach"])!.ACC_RELAUNCHED_FROM, String(process.pid));
});

/** Every node process of a run reports itself when it starts (its main thread, not its workers): pid, parent and heap size limit. */
function probe(dir: string): { env: NodeJS.ProcessEnv; processes: () => { pid: number; ppid: number; limit: number; tunables: string | null }[] } {
  const script = join(dir, "probe.cjs");
  const out = join(dir, "processes.jsonl");
  writeFileSync(script, `if (require("node:worker_threads").isMainThread) require("node:fs").appendFileSync(${JSON.stringify(out)}, JSON.stringify({ pid: process.pid, ppid: process.ppid, limit: require("node:v8").getHeapStatistics().heap_size_limit, tunables: process.env.GLIBC_TUNABLES ?? null }) + "\\n");\n`);
  return {
    env: { ...process.env, GLIBC_TUNABLES: "", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${script}` },
    processes: () => (existsSync(out) ? readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line)) : []),
  };
}

function acc(argv: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [main, ...argv], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = once(child, "close").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }));
  return { child, done };
}

/** acc and the node it relaunched, once both have started. */
async function pair(run: ReturnType<typeof acc>, processes: ReturnType<typeof probe>["processes"]) {
  for (;;) {
    const relaunched = processes().find((p) => p.ppid === run.child.pid);
    if (relaunched) return { acc: processes().find((p) => p.pid === run.child.pid)!, relaunched };
    assert.equal(run.child.exitCode, null, "acc is still running");
    await sleep(20);
  }
}

/** A teach run whose first request never gets an answer, and the moment that request arrives. */
async function hangingTeach(dir: string, env: NodeJS.ProcessEnv) {
  let arrived!: () => void;
  const waiting = new Promise<void>((resolve) => (arrived = resolve));
  const server = await startOpenAIServer(() => {
    arrived();
    return { type: "hang" };
  });
  const input = writeSamples(dir, [1, 2, 3].map((i) => itemSample(i)));
  const out = join(dir, "out");
  const run = acc(["teach", input, "--endpoint", server.url, "--model", "m", "--concurrency", "1", "-o", out, "-q"], env);
  return { run, out, waiting, server };
}

test("teach runs in a node whose young generation is larger; SIGTERM to acc reaches it, it says how to resume, and acc exits 143 as it does", async () => {
  const dir = tempDir();
  const { env, processes } = probe(dir);
  const { run, out, waiting, server } = await hangingTeach(dir, env);
  try {
    await waiting;
    const both = await pair(run, processes);
    assert.ok(both.relaunched.limit > both.acc.limit, `the relaunched node's heap limit (${both.relaunched.limit}) includes the larger young generation (acc's: ${both.acc.limit})`);
    run.child.kill("SIGTERM");
    const { code, stderr } = await run.done;
    assert.equal(code, 143);
    assert.equal(stderr, `acc: interrupted (SIGTERM); rerun the same command to resume (progress is saved in ${out})\n`);
  } finally {
    await server.close();
  }
});

test("a relaunched teach killed by a signal ends acc with that signal; kill -9 of acc takes the relaunched one with it", async () => {
  const dir = tempDir();
  const { env, processes } = probe(dir);
  const killed = await hangingTeach(join(dir), env);
  const parent = await hangingTeach(tempDir(), env);
  try {
    await killed.waiting;
    process.kill((await pair(killed.run, processes)).relaunched.pid, "SIGKILL");
    assert.deepEqual(await killed.run.done, { code: null, signal: "SIGKILL", stderr: "" });

    await parent.waiting;
    const { relaunched } = await pair(parent.run, processes);
    parent.run.child.kill("SIGKILL");
    await parent.run.done;
    while (alive(relaunched.pid)) await sleep(20);
  } finally {
    await Promise.all([killed.server.close(), parent.server.close()]);
  }
});

test("mine runs in a node with smaller semi-spaces whose malloc asks for huge pages; its outputs and exit code are acc's", async () => {
  const dir = tempDir();
  const { env, processes } = probe(dir);
  const repo = new FixtureRepo(join(dir, "repo"));
  repo.write("a.txt", "one\n").commit("Add a (#1)");
  repo.write("a.txt", "one\ntwo\n").commit("Extend a (#2)");
  const out = join(dir, "out");
  const run = acc(["mine", repo.dir, "-o", out, "-q"], env);
  const { code } = await run.done;
  assert.equal(code, 0);
  assert.ok(existsSync(join(out, "manifest.json")));
  const parent = processes().find((p) => p.pid === run.child.pid)!;
  const relaunched = processes().find((p) => p.ppid === run.child.pid)!;
  assert.ok(relaunched.limit < parent.limit, `the relaunched node's heap limit (${relaunched.limit}) has the smaller young generation (acc's: ${parent.limit})`);
  assert.equal(parent.tunables, "");
  assert.equal(relaunched.tunables, "glibc.malloc.hugetlb=1");
});

/** Whether a process runs (a zombie waiting for its new parent to reap it does not). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
