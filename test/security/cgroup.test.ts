// The box's memory cgroup against hostile code: processes that each stay under the per-process memory limit
// but together pass the box's (through a rollout's tool call and reward, and `acc verify patch`), a process
// that left the box's process group, and groups an acc killed before its holder could remove them. Skipped,
// with the reason, where the machine has no usable memory cgroup (the box then limits memory per process).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RepoEnvironment } from "../../src/envs/index.js";
import { memoryCgroup, sweepStaleGroups } from "../../src/run/sandbox/cgroup.js";
import { Box, sandboxProblem } from "../../src/run/sandbox/index.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { calcRepo, GOLD } from "../verify/calc-repo.js";
import { bash, runAttacks } from "./agents.js";
import { Canary, repositoryHash } from "./canary.js";
import { ATTACK_SANDBOX } from "./limits.js";

const detection = await memoryCgroup();
const skip = (await sandboxProblem()) ?? (detection.found ? false : `no usable memory cgroup on this machine, the box limits memory per process only: ${detection.reason}`);
const MIB = 1024 * 1024;
const SANDBOX = { ...ATTACK_SANDBOX, limits: { ...ATTACK_SANDBOX.limits, memoryBytes: 64 * MIB } };

// n children that each allocate 40 MB (under the 64 MiB per-process limit) and hold it until every child has
// (or died): all of them hold their memory at the same moment, whatever the machine's load
const HOLD = `import os, sys
n = int(sys.argv[1])
r, w = os.pipe()
go_r, go_w = os.pipe()
for _ in range(n):
    if os.fork() == 0:
        os.close(r); os.close(go_w)
        held = bytearray(40 << 20)
        os.write(w, b"x"); os.close(w)
        os.read(go_r, 1)
        os._exit(0)
os.close(w); os.close(go_r)
ready = 0
while os.read(r, 1): ready += 1
os.close(go_w)
killed = sum(os.wait()[1] != 0 for _ in range(n))
print(f"{ready} of {n} held 40 MB at once, {killed} killed")
sys.exit(1 if killed else 0)`;
const hold = (n: number) => `python3 -c '${HOLD}' ${n}`;
const LIMIT = /the box's processes together reached its memory limit \(64 MiB, --sandbox-memory\) and the kernel killed one/;

/** The box groups below acc's own group that the process `pid` made. */
const groupsOf = (pid: number) => (detection.found ? readdirSync(detection.found.dir).filter((name) => name.startsWith(`acc-${pid}-`)) : []);

let canary: Canary;
before(async () => {
  if (!skip) canary = await new Canary().start();
});
after(async () => {
  await canary?.close();
});

test("eight processes each under the per-process limit, together past the box's: the cgroup stops them in a tool call and in the reward", { skip }, async () => {
  const { repo, base } = calcRepo();
  const hash = repositoryHash(repo);
  const env = await RepoEnvironment.create({ repo, sandbox: SANDBOX, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 1 });
  const name = "eight-processes-past-the-box-memory";
  const seen = (await runAttacks(env, [{ name, steps: [bash(hold(1)), bash(hold(8)), bash("echo alive")], expect: () => {} }], canary, { base_commit: base, test_command: `${hold(8)} && sh test.sh` }, 1)).get(name)!;
  assert.match(seen.results[0]!.content, /^1 of 1 held 40 MB at once, 0 killed\n\[exit code 0\]$/, "one such process alone is within every limit");
  assert.match(seen.results[1]!.content, LIMIT);
  assert.equal(seen.results[1]!.isError, true);
  assert.match(seen.results[2]!.content, /^alive\n/, "the next call works");
  const { verdict } = seen.output.episode;
  assert.equal(verdict.reason, "tests-failed");
  assert.match(verdict.detail ?? "", LIMIT, "the reward says why the tests failed");
  await canary.check(name);
  assert.equal(repositoryHash(repo), hash);
  assert.deepEqual(groupsOf(process.pid), [], "every box's group is removed when its box ends");
});

test("verify patch: a test command whose processes together pass --sandbox-memory fails with the memory limit as its reason", { skip }, async () => {
  const { repo, base } = calcRepo();
  const patch = join(tempDir("acc-cgroup-patch-"), "fix.diff");
  writeFileSync(patch, GOLD);
  const run = await runCli(["verify", "patch", "--patch", patch, "--repo", repo, "--base", base, "--test-cmd", `${hold(8)} && sh test.sh`, "--sandbox-memory", "64"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /tests-failed/);
  assert.match(run.stdout, LIMIT);
  await canary.check("verify patch");
});

test("a process that left the box's process group (setsid, double fork) is killed with the box, before it can act", { skip }, async () => {
  const box = await Box.open({ limits: SANDBOX.limits });
  const late = join(canary.dir, "late-write");
  // a process of the box's group that escaped the command's process group and waits to write on the host
  // (the moment between a command joining the group and bubblewrap taking it, where only the group holds it)
  const starter = spawn("sh", ["-c", `echo $$ > "$1"; setsid sh -c '(sleep 3; echo escaped > "$0") > /dev/null 2>&1 & echo $!' "$2"`, "escape", box.cgroup!.procs, late], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  starter.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => starter.once("close", resolve));
  const pid = Number(out.trim());
  assert.ok(pid > 0 && existsSync(`/proc/${pid}`), "the escaped process runs");
  assert.ok(readFileSync(box.cgroup!.procs, "utf8").split("\n").includes(String(pid)), "in the box's group");
  const dir = box.cgroup!.dir;
  await box.close();
  assert.equal(existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8")), false, "the escaped process is dead");
  assert.equal(existsSync(dir), false, "the group is removed");
  assert.equal(existsSync(late), false, "it wrote nothing");
});

test("groups of an acc that is gone are emptied and removed; a live acc's are left alone", { skip }, async () => {
  const parent = detection.found!.dir;
  // a dead pid: a process that has exited
  const gone = spawn("true");
  await new Promise((resolve) => gone.once("close", resolve));
  const stale = join(parent, `acc-${gone.pid}-1-0`);
  mkdirSync(stale);
  const sleeper = spawn("sh", ["-c", `echo $$ > "$1/cgroup.procs" && echo in && exec sleep 100`, "stale", stale], { stdio: ["ignore", "pipe", "inherit"] });
  const sleeperGone = new Promise((resolve) => sleeper.once("close", resolve));
  await new Promise((resolve) => sleeper.stdout.once("data", resolve));
  const box = await Box.open({ limits: SANDBOX.limits });
  try {
    const swept = await sweepStaleGroups(parent);
    assert.ok(swept.includes(`acc-${gone.pid}-1-0`), `the dead acc's group is swept (${swept.join(", ")})`);
    await sleeperGone;
    assert.equal(existsSync(stale), false);
    assert.ok(existsSync(box.cgroup!.dir), "the live box's group stays");
  } finally {
    await box.close();
  }
});
