import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { comparePatches, parseDiff } from "../../src/verify/diff.js";
import { DEFAULT_SANDBOX_LIMITS, sandboxProblem } from "../../src/run/sandbox/index.js";
import { PatchTester } from "../../src/verify/patch.js";
import { tempDir } from "../helpers/collect.js";
import { calcRepo, GOLD } from "./calc-repo.js";

/** The same two edits as GOLD, cut into two hunks with other context, other line numbers, CRLF and trailing blanks. */
const SAME_EDITS = [
  "--- a/calc/lib.sh",
  "+++ b/calc/lib.sh",
  "@@ -2,1 +2,1 @@",
  "-add() { echo $(( $1 - $2 )); }",
  "+add() { echo $(( $1 + $2 )); }   ",
  "@@ -4,3 +4,3 @@",
  " mul() { echo $(( $1 * $2 )); }",
  "-neg() { echo $(( 0 + $1 )); }",
  "+neg() { echo $(( 0 - $1 )); }",
  "",
].join("\r\n");

test("patch diff: same files and change groups match however the hunks are cut; differences are named", () => {
  assert.deepEqual(parseDiff(GOLD), [
    {
      path: "calc/lib.sh",
      markers: [],
      changes: [
        { removed: ["add() { echo $(( $1 - $2 )); }"], added: ["add() { echo $(( $1 + $2 )); }"] },
        { removed: ["neg() { echo $(( 0 + $1 )); }"], added: ["neg() { echo $(( 0 - $1 )); }"] },
      ],
    },
  ]);
  assert.deepEqual(comparePatches(SAME_EDITS, GOLD), { pass: true, reason: "patch-match", detail: "the same 2 changes in 1 files as the gold patch", score: 1 });
  const half = comparePatches(SAME_EDITS.replace("0 - $1", "-$1"), GOLD);
  assert.equal(half.pass, false);
  assert.equal(half.score, 0.5);
  assert.match(half.detail, /calc\/lib\.sh: change 2 differs/);
  const extraFile = comparePatches(`${GOLD}--- a/README\n+++ b/README\n@@ -1 +1 @@\n-x\n+y\n`, GOLD);
  assert.match(extraFile.detail, /files the gold leaves alone: README/);
  assert.deepEqual([comparePatches("I would change add()", GOLD).reason, comparePatches("I would change add()", GOLD).detail], ["patch-differs", "the candidate is not a unified diff"]);
});

test("patch diff: a removed line that starts with '-- ' is a change, not a file header; new and deleted files carry markers", () => {
  const sql = ["--- a/q.sql", "+++ b/q.sql", "@@ -1,2 +1,2 @@", "--- old comment", "+-- new comment", " SELECT 1;", ""].join("\n");
  assert.deepEqual(parseDiff(sql)[0]!.changes, [{ removed: ["-- old comment"], added: ["-- new comment"] }]);
  const created = parseDiff("diff --git a/n.txt b/n.txt\nnew file mode 100644\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+hi\n");
  assert.deepEqual(created, [{ path: "n.txt", markers: ["new file mode 100644"], changes: [{ removed: [], added: ["hi"] }] }]);
  const deleted = parseDiff("--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n");
  assert.equal(deleted[0]!.path, "old.txt");
});

const worktrees = (repo: string) => execFileSync("git", ["-C", repo, "worktree", "list", "--porcelain"], { encoding: "utf8" }).match(/^worktree /gm)!.length;
const isolation = (await sandboxProblem()) ?? false;
const tester = (repo: string, testCommand: string, timeoutMs: number, jobs = 1) =>
  PatchTester.create({ repo, testCommand, sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs }, readOnly: [], unsafe: false }, jobs });

test("patch tests: the patch is applied at the base commit in a box; exit 0 passes; failures quote the output; the repository's worktrees are untouched", { skip: isolation }, async () => {
  const { repo, base } = calcRepo();
  // a later commit must not leak into a run at the base commit
  writeFileSync(join(repo, "calc/lib.sh"), "broken\n");
  execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "later"]);
  const calc = await tester(repo, "sh test.sh", 20_000, 2);
  const edits = SAME_EDITS.split("\r\n");
  const oneLineContext = ["--- a/calc/lib.sh", "+++ b/calc/lib.sh", "@@ -1,3 +1,3 @@", " # arithmetic helpers", edits[3], edits[4], " sub() { echo $(( $1 - $2 )); }", "@@ -4,3 +4,3 @@", ...edits.slice(6, 9), " # end", ""].join("\n");
  assert.equal(comparePatches(oneLineContext, GOLD).pass, true);
  const [good, also] = await Promise.all([calc.verify(base, oneLineContext), calc.verify(base, GOLD)]);
  assert.deepEqual([good.pass, good.reason], [true, "tests-passed"]);
  assert.equal(also.pass, true);
  const wrong = await calc.verify(base, GOLD.replace("0 - $1", "0 * $1"));
  assert.equal(wrong.reason, "tests-failed");
  assert.match(wrong.detail, /`sh test.sh` exited 1: …neg 4 gave 0/);
  const stale = await calc.verify(base, GOLD.replaceAll("$1 - $2 )); }\n+add", "$1 / $2 )); }\n+add"));
  assert.equal(stale.reason, "patch-does-not-apply");
  assert.match(stale.detail, /patch failed: calc\/lib\.sh/);
  const missing = await calc.verify("0000000000000000000000000000000000000000", GOLD);
  assert.equal(missing.reason, "repo-error");
  assert.equal(worktrees(repo), 1, "only the main worktree is left");
});

/** Processes whose command line holds `marker`. */
function processesWith(marker: string): number {
  let found = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) found++;
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("patch tests: a test run past its time limit is killed with everything it started", { skip: isolation }, async () => {
  const { repo, base } = calcRepo();
  const marker = join(tempDir(), "still-running");
  const slow = await tester(repo, `(sleep 2.71828; touch ${marker}) & sleep 31.4159`, 300);
  const started = Date.now();
  const verdict = await slow.verify(base, GOLD);
  assert.equal(verdict.reason, "tests-timeout");
  assert.ok(Date.now() - started < 10_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(processesWith("sleep 2.71828") + processesWith("sleep 31.4159"), 0, "the background job was killed too");
  assert.throws(() => execFileSync("test", ["-e", marker]));
  assert.equal(worktrees(repo), 1);
});

test("patch tests in the bubblewrap sandbox: the repository is writable, the rest of the filesystem is not", { skip: isolation }, async () => {
  const { repo, base } = calcRepo();
  // world-writable and outside /tmp and the home folders: only the sandbox's read-only mounts protect it
  const outside = mkdtempSync("/var/tmp/acc-outside-");
  chmodSync(outside, 0o777);
  try {
    const command = `echo ok > inside.txt && cat inside.txt && ! (echo x > ${outside}/leak) 2>/dev/null && ! touch /etc/acc-leak 2>/dev/null`;
    const confined = await tester(repo, command, 20_000);
    assert.equal(confined.sandboxed, true);
    const verdict = await confined.verify(base, GOLD);
    assert.deepEqual([verdict.reason, verdict.detail], ["tests-passed", `\`${command}\` exited 0`]);
    assert.equal(existsSync(join(outside, "leak")), false);
    assert.equal(existsSync("/etc/acc-leak"), false);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test("patch tests: no network inside the sandbox (a local server sees nothing) and nothing of acc's environment", { skip: isolation }, async () => {
  const { repo, base } = calcRepo();
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  process.env["ACC_TEST_API_KEY"] = "sk-must-not-leak";
  try {
    const fetchIt = `node -e "fetch('http://127.0.0.1:${port}/').then(() => process.exit(0), () => process.exit(3))"`;
    const verdict = await (await tester(repo, fetchIt, 20_000)).verify(base, GOLD);
    assert.deepEqual([verdict.reason, hits], ["tests-failed", 0]);
    assert.match(verdict.detail, /exited 3/);
    const env = await tester(repo, '[ -z "$ACC_TEST_API_KEY" ] && [ -n "$PATH" ] && [ "$HOME" = /tmp ]', 20_000);
    assert.equal((await env.verify(base, GOLD)).reason, "tests-passed", "the box's environment is its own: nothing of acc's reaches it");
  } finally {
    delete process.env["ACC_TEST_API_KEY"];
    server.close();
  }
});
