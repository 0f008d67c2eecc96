import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEFAULT_SANDBOX_LIMITS, type EnvSession, RepoEnvironment, sandboxProblem } from "../../src/envs/index.js";
import { SANDBOX_UID } from "../../src/envs/sandbox.js";
import type { RolloutTask } from "../../src/records/rollout.js";
import { tempDir } from "../helpers/collect.js";
import { buildExamples } from "../helpers/examples.js";

const skip = sandboxProblem() ?? false;
const TEST = "python3 -c \"from textstats import count_words as c; assert c('one  two') == 2, c('one  two')\"";

let repo: string;
let base: string;
let env: RepoEnvironment;
const sessions: EnvSession[] = [];

const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-C", repo, ...args], { encoding: "utf8" }).trim();

before(async () => {
  if (skip) return;
  repo = buildExamples().repo;
  base = git("rev-parse", "HEAD");
  // a later commit: the worktree must start from the task's base, not from HEAD
  writeFileSync(join(repo, "README.md"), "# textstats\n\nchanged after the base commit\n");
  git("commit", "-qam", "later");
  env = await RepoEnvironment.create({ repo, limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 8_000, cpuSeconds: 2, maxProcesses: 48 }, testTimeoutMs: 20_000, maxChars: 2_000, jobs: 2 });
});
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

async function open(extra: Partial<RolloutTask> = {}): Promise<EnvSession> {
  const session = await env.open({ id: "fix", question: "fix count_words", base_commit: base, test_command: TEST, ...extra });
  sessions.push(session);
  return session;
}

test("the sandbox's absence is a clear error naming the fix", () => {
  const empty = tempDir();
  const code = `import("./src/envs/sandbox.ts").then((m) => process.stdout.write(String(m.sandboxProblem())))`;
  const result = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { cwd: join(import.meta.dirname, "../.."), encoding: "utf8", env: { ...process.env, PATH: empty } });
  assert.equal(result.stdout, "bubblewrap (bwrap) is not installed: run scripts/setup-system.sh, or apt-get install bubblewrap");
});

test("each episode works in a worktree at the base commit: view, edit, create, bash; submit gives the patch; the reward is the test command's exit code", { skip }, async () => {
  const session = await open();
  const readme = await session.call("view", { path: "README.md" });
  assert.match(readme.content, /^ {4}1 {2}# textstats\n {4}2 {2}\n {4}3 {2}Small text statistics/, "the base commit's README, not HEAD's");
  assert.equal((await session.call("view", { path: "." })).content, "README.md\ntests/\ntextstats/");
  assert.match((await session.call("view", { path: "textstats/counter.py", start_line: 8, end_line: 8 })).content, /^ {4}8 {2} {4}return len\(text\.split\(" "\)\)\n\(lines 8-8 of 16\)$/);

  const failing = await session.reward({ answer: "" });
  assert.deepEqual([failing.reward, failing.reason], [0, "tests-failed"]);
  assert.match(failing.detail, /AssertionError: 3/);

  assert.deepEqual(await session.call("edit", { path: "textstats/counter.py", old_str: "return", new_str: "x" }), {
    content: "edit: old_str appears 4 times in textstats/counter.py; it must appear exactly once (add surrounding lines)",
    isError: true,
  });
  assert.deepEqual(await session.call("edit", { path: "textstats/counter.py", old_str: 'len(text.split(" "))', new_str: "len(text.split())" }), { content: "edited textstats/counter.py", isError: false });
  assert.deepEqual(await session.call("edit", { path: "NOTES.md", old_str: "", new_str: "fixed\n" }), { content: "created NOTES.md", isError: false });
  const bash = await session.call("bash", { command: "cat NOTES.md && echo more >> NOTES.md" });
  assert.equal(bash.isError, false);
  assert.match(bash.content, /^fixed\n/);
  assert.match(bash.content, /\[exit code 0\]$/);

  const submitted = await session.call("submit", {});
  assert.equal(submitted.content, "submitted: 2 files changed");
  assert.match(submitted.submitted!, /^diff --git a\/NOTES\.md b\/NOTES\.md\nnew file mode 100644/);
  assert.match(submitted.submitted!, /- {4}return len\(text\.split\(" "\)\)\n\+ {4}return len\(text\.split\(\)\)/);
  const passing = await session.reward({ answer: submitted.submitted! });
  assert.deepEqual([passing.reward, passing.success, passing.reason], [1, true, "tests-passed"]);
  assert.equal(passing.submittedPatch, submitted.submitted);
  assert.equal(git("rev-parse", "HEAD") !== base, true, "the repository itself is untouched");
  assert.match(readFileSync(join(repo, "textstats/counter.py"), "utf8"), /text\.split\(" "\)/);
});

test("edits to the protected test files do not count: they are restored to the base commit before the tests run", { skip }, async () => {
  const session = await open({ test_command: "grep -q 'one two three' tests/test_counter.py", test_files: ["tests/test_counter.py"] });
  await session.call("bash", { command: "echo 'cheated = True' > tests/test_counter.py" });
  const outcome = await session.reward({ answer: "" });
  assert.equal(outcome.reward, 1, "the test file was restored, so its content check passes");
});

test("paths outside the worktree are refused by view and edit, also through a symlink", { skip }, async () => {
  const session = await open();
  for (const path of ["../outside.txt", "/etc/passwd", "textstats/../../x"]) {
    const result = await session.call("edit", { path, old_str: "", new_str: "x" });
    assert.deepEqual(result, { content: `edit: ${path} is outside the repository`, isError: true });
  }
  await session.call("bash", { command: "ln -s /etc link" });
  assert.deepEqual(await session.call("view", { path: "link/hostname" }), { content: "view: link/hostname is outside the repository", isError: true });
  assert.deepEqual(await session.call("edit", { path: ".git", old_str: "", new_str: "x" }), { content: "edit: .git is git's own data", isError: true });
});

test("sandbox escapes fail and are reported: writing outside the worktree, the network, a fork bomb, a CPU hog", { skip }, async () => {
  const session = await open();
  const outside = join(tempDir(), "escape.txt");
  const inRepo = join(repo, "ESCAPE");
  const write = await session.call("bash", { command: `echo pwned > ${outside}; echo pwned > ${inRepo}; echo pwned > /usr/escape` });
  assert.equal(write.isError, true);
  assert.match(write.content, /Read-only file system|Permission denied|No such file or directory/);
  assert.equal(existsSync(outside), false);
  assert.equal(existsSync(inRepo), false);
  assert.equal(existsSync("/usr/escape"), false);
  // /tmp inside is private: a write there never reaches the host's /tmp
  const marker = `acc-sandbox-${process.pid}`;
  await session.call("bash", { command: `echo x > /tmp/${marker}` });
  assert.equal(existsSync(`/tmp/${marker}`), false);

  let connections = 0;
  const listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const port = (listener.address() as { port: number }).port;
  try {
    const net = await session.call("bash", {
      command: `python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=3)"; python3 -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"`,
    });
    assert.equal(net.isError, true);
    assert.match(net.content, /ConnectionRefusedError/);
    assert.match(net.content, /Network is unreachable/);
    assert.equal(connections, 0, "the host's listener saw nothing");
  } finally {
    listener.close();
  }

  const started = Date.now();
  const bomb = await session.call("bash", { command: "bomb() { bomb | bomb & }; bomb; sleep 1; echo survived" });
  assert.match(bomb.content, /Cannot fork|Resource temporarily unavailable|\[stopped after 8000 ms\]/, "the process limit stopped it");
  assert.ok(Date.now() - started < 20_000, "the bomb ends within the time limit");
  if (process.getuid?.() === 0) {
    // nothing of it is left once the command is over: the sandbox's processes die with it
    let left = -1;
    for (let i = 0; i < 20 && left !== 0; i++) {
      left = spawnSync("pgrep", ["-u", String(SANDBOX_UID)], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean).length;
      if (left !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(left, 0);
  }
  assert.equal((await session.call("bash", { command: "echo alive" })).content, "alive\n[exit code 0]", "the machine still runs commands");

  const hog = await session.call("bash", { command: "while :; do :; done" });
  assert.equal(hog.isError, true);
  assert.match(hog.content, /\[exit code 137: killed by SIGKILL: the CPU-time limit\]|\[stopped after 8000 ms\]/);
});

test("a test patch (SWE-bench's) is applied after the test files are put back: edits to the tests do not count, new test files are the patch's, a patch that does not apply is reward 0", { skip }, async () => {
  const testPatch = [
    "diff --git a/tests/test_spaces.py b/tests/test_spaces.py",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/tests/test_spaces.py",
    "@@ -0,0 +1,3 @@",
    "+from textstats import count_words",
    "+",
    "+assert count_words('one  two') == 2, count_words('one  two')",
    "",
  ].join("\n");
  const task = { test_command: "PYTHONPATH=. python3 tests/test_spaces.py", test_patch: testPatch, test_files: ["tests/test_spaces.py"] };
  // the agent writes its own, passing version of the test file and does not fix the code
  const cheat = await open(task);
  await cheat.call("edit", { path: "tests/test_spaces.py", old_str: "", new_str: "print('ok')\n" });
  const cheated = await cheat.reward({ answer: "" });
  assert.deepEqual([cheated.reward, cheated.reason], [0, "tests-failed"]);
  assert.match(cheated.detail, /AssertionError: 3/);
  // the fix passes the patch's test
  const fixed = await open(task);
  await fixed.call("edit", { path: "textstats/counter.py", old_str: 'len(text.split(" "))', new_str: "len(text.split())" });
  assert.deepEqual([(await fixed.reward({ answer: "" })).reward], [1]);
  // a patch against lines that are not there
  const broken = await open({ ...task, test_patch: testPatch.replace("new file mode 100644\n--- /dev/null", "--- a/tests/test_spaces.py").replace("@@ -0,0 +1,3 @@", "@@ -1,1 +1,3 @@\n-nothing like this") });
  const refused = await broken.reward({ answer: "" });
  assert.deepEqual([refused.reward, refused.success, refused.reason], [0, false, "tests-failed"]);
  assert.match(refused.detail, /^the task's test patch does not apply to the submitted tree: /);
});
