import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type EnvSession, RepoEnvironment } from "../../src/envs/index.js";
import type { RolloutTask } from "../../src/records/rollout.js";
import { DEFAULT_SANDBOX_LIMITS, sandboxProblem } from "../../src/run/sandbox/index.js";
import { tempDir } from "../helpers/collect.js";
import { buildExamples } from "../helpers/examples.js";
import { boxProcessesAfterExit } from "../helpers/sandbox.js";
import { RUN_TYPESCRIPT } from "../helpers/typescript.js";

const skip = (await sandboxProblem()) ?? false;
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
  // a later commit: the box must start from the task's base, not from HEAD
  writeFileSync(join(repo, "README.md"), "# textstats\n\nchanged after the base commit\n");
  git("commit", "-qam", "later");
  env = await RepoEnvironment.create({
    repo,
    sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 8_000, processes: 48 }, readOnly: [], unsafe: false },
    testTimeoutMs: 20_000,
    maxChars: 2_000,
    jobs: 2,
  });
});
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
});

async function open(extra: Partial<RolloutTask> = {}): Promise<EnvSession> {
  const session = await env.open({ id: "fix", question: "fix count_words", base_commit: base, test_command: TEST, ...extra });
  sessions.push(session);
  return session;
}

test("the sandbox's absence is a clear error naming the missing tools and the install step", () => {
  const empty = tempDir();
  const code = `import("./src/run/sandbox/probe.ts").then(async (m) => process.stdout.write(String(await m.sandboxProblem())))`;
  const result = spawnSync(process.execPath, [...RUN_TYPESCRIPT, "-e", code], { cwd: join(import.meta.dirname, "../.."), encoding: "utf8", env: { ...process.env, PATH: empty } });
  assert.equal(result.stdout, "bubblewrap (bwrap), unshare, nsenter, setpriv, prlimit, tar, git not installed: apt-get install bubblewrap util-linux tar git (or run scripts/setup-system.sh)");
});

test("each episode works in a box holding the base commit: view, edit, create, bash; submit gives the patch; the reward is the test command's exit code", { skip }, async () => {
  const session = await open();
  const readme = await session.call("view", { path: "README.md" });
  assert.match(readme.content, /^ {4}1 {2}# textstats\n {4}2 {2}\n {4}3 {2}Small text statistics/, "the base commit's README, not HEAD's");
  assert.equal((await session.call("view", { path: "." })).content, "README.md\ntests/\ntextstats/");
  assert.match((await session.call("view", { path: "textstats/counter.py", start_line: 8, end_line: 8 })).content, /^ {4}8 {2} {4}return len\(text\.split\(" "\)\)\n\(lines 8-8 of 15\)$/);
  assert.match((await session.call("bash", { command: "git log --oneline | wc -l; git status --short | wc -l" })).content, /^1\n0\n\[exit code 0\]$/, "the agent's own git: one commit, a clean tree");

  const failing = await session.reward({ answer: "" });
  assert.deepEqual([failing.reward, failing.reason], [0, "tests-failed"]);
  assert.match(failing.detail, /AssertionError: 3/);

  assert.deepEqual(await session.call("edit", { path: "textstats/counter.py", old_str: "return", new_str: "x" }), {
    content: "edit: old_str appears 4 times in textstats/counter.py; it must appear exactly once (add surrounding lines)",
    isError: true,
  });
  assert.deepEqual(await session.call("edit", { path: "textstats/counter.py", old_str: 'len(text.split(" "))', new_str: "len(text.split())" }), { content: "edited textstats/counter.py", isError: false });
  assert.deepEqual(await session.call("edit", { path: "NOTES.md", old_str: "", new_str: "fixed\n" }), { content: "created NOTES.md", isError: false });
  assert.deepEqual(await session.call("edit", { path: "NOTES.md", old_str: "", new_str: "again\n" }), { content: "edit: NOTES.md exists; give old_str to change it", isError: true });
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
  assert.match(readFileSync(join(repo, "textstats/counter.py"), "utf8"), /text\.split\(" "\)/, "the repository itself is untouched");
  // the patch applies to the base commit as git applies it
  const clone = tempDir();
  execFileSync("git", ["clone", "-q", repo, clone]);
  execFileSync("git", ["-C", clone, "checkout", "-q", base]);
  assert.equal(spawnSync("git", ["-C", clone, "apply", "--check", "-"], { input: submitted.submitted! }).status, 0);
});

test("edits to the protected test files do not count: the tests run on the patch with them as they were at the base commit", { skip }, async () => {
  const session = await open({ test_command: "grep -q 'one two three' tests/test_counter.py", test_files: ["tests/test_counter.py"] });
  await session.call("bash", { command: "echo 'cheated = True' > tests/test_counter.py" });
  const outcome = await session.reward({ answer: "" });
  assert.equal(outcome.reward, 1, "the test file was restored, so its content check passes");
  assert.match(outcome.submittedPatch!, /cheated = True/, "the patch still shows what the agent did");
});

test("view and edit run in the box: missing files, folders, special files and the read-only system are reported, never reached on the host", { skip }, async () => {
  const session = await open();
  assert.deepEqual(await session.call("view", { path: "nope.txt" }), { content: "view: nope.txt does not exist", isError: true });
  assert.deepEqual(await session.call("edit", { path: "nope.txt", old_str: "a", new_str: "b" }), { content: "edit: nope.txt does not exist", isError: true });
  await session.call("bash", { command: "mkfifo pipe" });
  assert.deepEqual(await session.call("view", { path: "pipe" }), { content: "view: pipe is not a regular file or a directory", isError: true });
  for (const path of ["../outside.txt", "/etc/acc-escape", "/usr/acc-escape"]) {
    const result = await session.call("edit", { path, old_str: "", new_str: "x" });
    assert.equal(result.isError, true, path);
    assert.match(result.content, /Read-only file system|Permission denied/, path);
  }
  assert.equal(existsSync("/etc/acc-escape") || existsSync("/usr/acc-escape"), false);
  assert.deepEqual(await session.call("view", { path: "textstats", start_line: 0 }), { content: "view: the range 0-199 is empty", isError: true });
});

test("sandbox escapes fail and are reported: writing outside the box, the network, a fork bomb, a CPU hog", { skip }, async () => {
  const session = await open();
  const outside = join(tempDir(), "escape.txt");
  const inRepo = join(repo, "ESCAPE");
  const write = await session.call("bash", { command: `echo pwned > ${outside}; echo pwned > ${inRepo}; echo pwned > /usr/escape` });
  assert.equal(write.isError, true);
  assert.match(write.content, /Read-only file system|Permission denied|No such file or directory/);
  assert.equal(existsSync(outside), false);
  assert.equal(existsSync(inRepo), false);
  assert.equal(existsSync("/usr/escape"), false);
  // /tmp inside is the box's: a write there never reaches the host's /tmp
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
  assert.equal(await boxProcessesAfterExit(), 0, "nothing of it is left once the call is over");
  assert.equal((await session.call("bash", { command: "echo alive" })).content, "alive\n[exit code 0]", "the box still runs commands");

  const hog = await session.call("bash", { command: "while :; do :; done" });
  assert.equal(hog.isError, true);
  assert.match(hog.content, /\[stopped after 8000 ms\]$/);
});

test("a repository that does not fit the box is a clear error before the episode starts, naming the flags", { skip }, async () => {
  const small = await RepoEnvironment.create({
    repo,
    sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, diskBytes: 128 * 1024 }, readOnly: [], unsafe: false },
    testTimeoutMs: 20_000,
    maxChars: 2_000,
    jobs: 1,
  });
  await assert.rejects(
    small.open({ id: "big", question: "q", base_commit: base, test_command: "true" }),
    /^EnvSpecError: repo environment: task big: cannot put [0-9a-f]{40} into the box: .*No space left on device \(the box's disk or file limit: raise --sandbox-disk or --sandbox-files\)$/,
  );
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
