// The attacker suite of the test commands: a hostile teacher (the test server) whose patches try to write
// outside through symlinks and paths, hostile test commands in `acc teach`, `acc verify patch` and
// `acc mine`, and the refusal to run any of them where the sandbox cannot be set up. Every case is checked
// against the host's canaries and the source repository's hash.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { mineRepository } from "../../src/mine/run.js";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { teachRun } from "../../src/teach/run.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { DEFAULT_VERIFY_SETUP } from "../../src/verify/index.js";
import { builtCli } from "../helpers/built-cli.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { FixtureRepo } from "../mine/fixture-repo.js";
import { itemOf, itemSample, jsonLines, readOutputs, writeSamples } from "../teach/helpers.js";
import { calcRepo, GOLD } from "../verify/calc-repo.js";
import { Canary, repositoryHash, SECRET } from "./canary.js";
import { ATTACK_SANDBOX } from "./limits.js";

const skip = (await sandboxProblem()) ?? false;

/** What a hostile test command tries: read the secret, write outside, reach the host's port, then run the tests. */
const HOSTILE_TESTS = "cat {SECRET_FILE} 2>/dev/null; echo pwned > {CANARY}/from-test 2>/dev/null; echo pwned > /usr/pwned 2>/dev/null; python3 -c \"import socket; socket.create_connection(('127.0.0.1', {PORT}), timeout=2)\" 2>/dev/null; sh test.sh";

/** Patches a model could write to get out: through a symlink it adds, up the tree, from the root. */
const escapes = (canary: Canary): string[] => [
  [
    "diff --git a/escape b/escape",
    "new file mode 120000",
    "--- /dev/null",
    "+++ b/escape",
    "@@ -0,0 +1 @@",
    `+${canary.dir}`,
    "\\ No newline at end of file",
    "diff --git a/escape/pwned b/escape/pwned",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/escape/pwned",
    "@@ -0,0 +1 @@",
    "+pwned",
    "",
  ].join("\n"),
  [`--- a/../../../..${canary.dir}/pwned`, `+++ b/../../../..${canary.dir}/pwned`, "@@ -0,0 +1 @@", "+pwned", ""].join("\n"),
  ["--- /dev/null", `+++ ${canary.dir}/pwned`, "@@ -0,0 +1 @@", "+pwned", ""].join("\n"),
];

let canary: Canary;
let calc: { repo: string; base: string };
let calcHash: string;

before(async () => {
  canary = await new Canary().start();
  calc = calcRepo();
  calcHash = repositoryHash(calc.repo);
});

after(async () => {
  assert.equal(repositoryHash(calc.repo), calcHash, "the source repository is byte-identical after every case");
  await canary.close();
});

test("teach --test-cmd: a hostile teacher's escaping patches do not apply, the right one passes a hostile test command that reaches nothing", { skip }, async () => {
  const dir = tempDir();
  const patches = [...escapes(canary), GOLD];
  const input = writeSamples(dir, patches.map((_, i) => itemSample(i + 1, "swe", { repo: { base_commit: calc.base }, ground_truth: null })));
  const teacher = await startOpenAIServer((request) => ({ type: "answer", content: `A fix:\n\`\`\`diff\n${patches[itemOf(request).item - 1]}\`\`\`` }));
  const client = createClient({ endpoint: teacher.url });
  try {
    await teachRun({
      input,
      outDir: join(dir, "out"),
      client,
      endpoint: teacher.url,
      setup: { model: "teacher", candidates: 1, seed: 0, keepAll: false },
      verify: { ...DEFAULT_VERIFY_SETUP, repo: calc.repo, testCommand: canary.fill(HOSTILE_TESTS), sandbox: { ...ATTACK_SANDBOX, limits: { ...ATTACK_SANDBOX.limits, timeoutMs: 20_000 } } },
      concurrency: 2,
    });
  } finally {
    await client.close();
    await teacher.close();
  }
  const [, rejects, outcomes] = readOutputs(join(dir, "out"));
  assert.deepEqual(jsonLines<{ sample_id: string; reason: string }>(rejects!).map((r) => [r.sample_id, r.reason]), [
    ["sample-0001", "patch-does-not-apply"],
    ["sample-0002", "patch-does-not-apply"],
    ["sample-0003", "patch-does-not-apply"],
  ]);
  assert.deepEqual(jsonLines<{ reason: string }>(outcomes!).map((o) => o.reason).at(-1), "tests-passed");
  assert.doesNotMatch(readOutputs(join(dir, "out")).join("\n"), new RegExp(SECRET));
  await canary.check("teach --test-cmd");
});

test("verify patch: the box's limits are the flags' (a test filling the disk fails), and a symlink escape does not apply", { skip }, async () => {
  const dir = tempDir();
  const patch = join(dir, "fix.diff");
  writeFileSync(patch, GOLD);
  const fill = await runCli(["verify", "patch", "--patch", patch, "--repo", calc.repo, "--base", calc.base, "--test-cmd", "head -c 20000000 /dev/zero > big && sh test.sh", "--sandbox-disk", "8"]);
  assert.equal(fill.code, 1);
  assert.match(fill.stdout, /"reason":"tests-failed".*No space left on device/);
  writeFileSync(patch, escapes(canary)[0]!);
  const escape = await runCli(["verify", "patch", "--patch", patch, "--repo", calc.repo, "--base", calc.base, "--test-cmd", "sh test.sh"]);
  assert.equal(escape.code, 1);
  assert.match(escape.stdout, /"reason":"patch-does-not-apply".*beyond a symbolic link/);
  await canary.check("verify patch");
});

test("mine --test-cmd: hostile test commands run in the box, offline, and reach nothing of the host", { skip }, async () => {
  const repo = new FixtureRepo();
  repo.write("src/lib.sh", "greet() { echo hi; }\n").write("tests/greet.sh", '. ./src/lib.sh\n[ "$(greet)" = hi ]\n');
  repo.commit("Initial commit");
  repo.write("src/lib.sh", "greet() { echo hi; }\nshout() { echo HI; }\n").write("tests/shout.sh", '. ./src/lib.sh\n[ "$(shout)" = HI ]\n');
  repo.commit("Add a shout helper to the library (#1)");
  repo.write("src/lib.sh", "greet() { echo hi; }\nshout() { echo 'HI!'; }\n").write("tests/shout.sh", '. ./src/lib.sh\n[ "$(shout)" = "HI!" ]\n');
  repo.commit("Make the shout helper louder (#2)\n\nFollow-up to #1.");
  const before = repositoryHash(repo.dir);
  const command = canary.fill(`${HOSTILE_TESTS.replace("sh test.sh", "")} for t in tests/*.sh; do if sh "$t"; then echo "ok - $t"; else echo "not ok - $t"; fi; done`);
  const result = await mineRepository({ repo: repo.dir, testCommand: command, testTimeoutSeconds: 20, sandbox: ATTACK_SANDBOX });
  const stage = result.stages[0]!;
  assert.deepEqual([JSON.parse(stage.FAIL_TO_PASS), stage.validation!.network_isolated], [["tests/shout.sh"], true]);
  assert.equal(repositoryHash(repo.dir), before);
  await canary.check("mine --test-cmd");
});

/** A PATH with every program the commands use but bubblewrap. */
function pathWithoutBwrap(): string {
  const bin = tempDir("acc-nobwrap-");
  for (const tool of ["git", "tar", "sh", "env", "unshare", "nsenter", "setpriv", "prlimit", "python3", "cat", "head", "mkdir", "rm", "ls"]) {
    const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

test("without bubblewrap every command that runs untrusted code refuses, naming the install step and the unsafe flag; with the flag it runs", async () => {
  const dir = tempDir();
  const patch = join(dir, "fix.diff");
  writeFileSync(patch, GOLD);
  mkdirSync(join(dir, "tasks"));
  writeFileSync(join(dir, "tasks", "t.jsonl"), `${JSON.stringify({ id: "t", question: "q", base_commit: calc.base, test_command: "sh test.sh" })}\n`);
  const { main } = await builtCli();
  const acc = (...args: string[]) =>
    spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: pathWithoutBwrap() } });
  const refusal = /^acc: (.+) runs untrusted code and needs the sandbox: bubblewrap \(bwrap\) not installed: apt-get install bubblewrap \(or run scripts\/setup-system\.sh\); to run it unconfined on this machine anyway, pass --unsafe-no-sandbox\n$/;
  const verify = acc("verify", "patch", "--patch", patch, "--repo", calc.repo, "--base", calc.base, "--test-cmd", "sh test.sh");
  assert.equal(verify.status, 2, verify.stderr);
  assert.match(verify.stderr, refusal);
  const rollout = acc("rollout", "--env", `repo:${calc.repo}`, "--tasks", join(dir, "tasks", "t.jsonl"), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "-o", join(dir, "out"));
  assert.equal(rollout.status, 2, rollout.stderr);
  assert.match(rollout.stderr, refusal);
  const mine = acc("mine", calc.repo, "-o", join(dir, "mined"), "--test-cmd", "true");
  assert.equal(mine.status, 2, mine.stderr);
  assert.match(mine.stderr, refusal);
  const unsafe = acc("verify", "patch", "--patch", patch, "--repo", calc.repo, "--base", calc.base, "--test-cmd", "sh test.sh", "--unsafe-no-sandbox");
  assert.equal(unsafe.status, 0, unsafe.stderr);
  assert.match(unsafe.stdout, /"reason":"tests-passed"/);
  canary.checkTemporaryFolders("unsafe run");
});
