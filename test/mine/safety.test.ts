import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { runCli, tempDir } from "../helpers/collect.js";
import { FixtureRepo } from "./fixture-repo.js";
import { buildScenario } from "./scenario.js";

const git = (dir: string, args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });

/** An error the user sees: one line, `acc: …`, no stack trace; exit 2 for an unusable argument, 1 for failed work. */
function assertOneLine(run: { code: number; stderr: string }, pattern: RegExp, code = 2) {
  assert.equal(run.code, code, run.stderr);
  assert.match(run.stderr, /^acc: [^\n]+\n$/, `one line: ${JSON.stringify(run.stderr)}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  assert.match(run.stderr, pattern);
}

test("bad repositories get one-line errors that say what to do: missing, a file, not a repository, inside one, empty, partial, corrupt", async () => {
  const work = tempDir();
  const out = join(work, "out");
  assertOneLine(await runCli(["mine", join(work, "nope"), "-o", out, "-q"]), /nope does not exist; pass the folder of a git clone/);
  writeFileSync(join(work, "file"), "x");
  assertOneLine(await runCli(["mine", join(work, "file"), "-o", out, "-q"]), /file is a file, not a repository/);
  const plain = join(work, "plain");
  mkdirSync(plain);
  assertOneLine(await runCli(["mine", plain, "-o", out, "-q"]), /plain is not a git repository; pass the folder of a clone/);

  const empty = new FixtureRepo(join(work, "empty"));
  assertOneLine(await runCli(["mine", empty.dir, "-o", out, "-q"]), /empty has no commits: nothing to mine/);

  const repo = new FixtureRepo(join(work, "repo"));
  repo.write("src/a.py", "x = 1\n").commit("Add a (#1)");
  assertOneLine(await runCli(["mine", join(repo.dir, "src"), "-o", out, "-q"]), new RegExp(`is inside the repository ${repo.dir}, not its top; pass ${repo.dir}`));

  const partial = new FixtureRepo(join(work, "partial"));
  partial.write("a", "1\n").commit("one");
  partial.git(["config", "remote.origin.url", "https://example.invalid/x.git"]);
  partial.git(["config", "remote.origin.promisor", "true"]);
  partial.git(["config", "remote.origin.partialclonefilter", "blob:none"]);
  assertOneLine(await runCli(["mine", partial.dir, "-o", out, "-q"]), /is a partial clone: objects it lacks would be fetched from its remote, and acc does not go online; mine a full clone/);

  const corrupt = new FixtureRepo(join(work, "corrupt"));
  corrupt.write("a.py", "value = 1\n").commit("one (#1)");
  corrupt.write("a.py", "value = 2\n").commit("two (#2)");
  const blob = git(corrupt.dir, ["rev-parse", "HEAD~1:a.py"]).stdout.trim();
  const object = join(corrupt.dir, ".git", "objects", blob.slice(0, 2), blob.slice(2));
  chmodSync(object, 0o644);
  writeFileSync(object, "this is not a zlib stream");
  assertOneLine(await runCli(["mine", corrupt.dir, "-o", out, "-q"]), /failed in .*corrupt .*; the repository's object store is damaged: run `git fsck --full` in it/, 1);
  assert.ok(!existsSync(out), "a failed run writes nothing");
});

test("a shallow clone is refused, or mined with --allow-shallow and the cut said in the manifest and summary", async () => {
  const { repo } = buildScenario();
  const work = tempDir();
  const shallow = join(work, "shallow");
  assert.equal(spawnSync("git", ["clone", "-q", "--depth", "3", `file://${repo.dir}`, shallow]).status, 0);
  const out = join(work, "out");
  assertOneLine(await runCli(["mine", shallow, "-o", out, "-q"]), /is a shallow clone: its history stops at 1 cut commit\(s\).*; run `git fetch --unshallow` in it, or pass --allow-shallow/);
  const run = await runCli(["mine", shallow, "-o", out, "--allow-shallow", "--repo-name", "acme/widgets"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /shallow clone: the history is cut at 1 commit\(s\)/);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.deepEqual(manifest.history, { complete: false, cut_commits: 1 });
  assert.deepEqual(manifest.tests, { run: false, note: "no --test-cmd was given: FAIL_TO_PASS and PASS_TO_PASS are empty lists, not measured" });
  assert.equal(manifest.stats.mainline, 3);
  // a stage's snapshot from a shallow clone deep enough to hold chains: cut where the clone is, nothing after its base
  const deeper = join(work, "deeper");
  assert.equal(spawnSync("git", ["clone", "-q", "--depth", "12", `file://${repo.dir}`, deeper]).status, 0);
  const mined = join(work, "mined");
  assert.equal((await runCli(["mine", deeper, "-o", mined, "--allow-shallow", "--repo-name", "acme/widgets", "-q"])).code, 0);
  const chain = JSON.parse(readFileSync(join(mined, "chains.jsonl"), "utf8").split("\n")[0]!).id as string;
  const snap = join(work, "snap");
  const snapshot = await runCli(["mine", "snapshot", chain, "--stage", "1", "--mined", mined, "-o", snap]);
  assert.equal(snapshot.code, 0, snapshot.stderr);
  assert.equal(git(snap, ["rev-parse", "--is-shallow-repository"]).stdout.trim(), "true");
});

test("no GIT_* variable of the caller reaches acc's git: GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE pointing elsewhere change nothing", async () => {
  const { repo } = buildScenario();
  const work = tempDir();
  const bystander = new FixtureRepo(join(work, "bystander"));
  bystander.write("keep.txt", "mine\n").commit("bystander");
  const before = [git(bystander.dir, ["rev-parse", "HEAD"]).stdout, git(bystander.dir, ["status", "--porcelain"]).stdout, git(bystander.dir, ["for-each-ref"]).stdout];
  const clean = join(work, "clean");
  assert.equal((await runCli(["mine", repo.dir, "-o", clean, "-q"])).code, 0);

  const saved = { ...process.env };
  Object.assign(process.env, { GIT_DIR: join(bystander.dir, ".git"), GIT_WORK_TREE: bystander.dir, GIT_INDEX_FILE: join(bystander.dir, ".git", "index"), GIT_CEILING_DIRECTORIES: "/" });
  try {
    const dirty = join(work, "dirty");
    const run = await runCli(["mine", repo.dir, "-o", dirty, "-q"]);
    assert.equal(run.code, 0, run.stderr);
    for (const name of readdirSync(clean)) assert.equal(readFileSync(join(dirty, name), "utf8"), readFileSync(join(clean, name), "utf8"), name);
    const chain = JSON.parse(readFileSync(join(clean, "chains.jsonl"), "utf8").split("\n")[0]!).id;
    const snap = join(work, "snap");
    const snapshot = await runCli(["mine", "snapshot", chain, "--stage", "2", "--mined", clean, "-o", snap]);
    assert.equal(snapshot.code, 0, snapshot.stderr);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  const after = [git(bystander.dir, ["rev-parse", "HEAD"]).stdout, git(bystander.dir, ["status", "--porcelain"]).stdout, git(bystander.dir, ["for-each-ref"]).stdout];
  assert.deepEqual(after, before, "the repository GIT_DIR named is untouched");
  assert.ok(existsSync(join(work, "snap", ".git")), "the snapshot went where -o said");
});

test("snapshots: refused inside the mined repository, relative paths resolved against the working directory, nothing left on failure", async () => {
  const { repo, shas } = buildScenario();
  const work = tempDir();
  const mined = join(work, "mined");
  assert.equal((await runCli(["mine", repo.dir, "-o", mined, "-q"])).code, 0);
  const chain = "acme__widgets-1-chain-5";
  for (const inside of [join(repo.dir, "stage"), join(repo.dir, "src", "deep", "stage"), join(repo.dir, ".git", "stage"), repo.dir]) {
    const run = await runCli(["mine", "snapshot", chain, "--stage", "2", "--mined", mined, "-o", inside]);
    assertOneLine(run, /is inside the mined repository .*: its full history would be one folder up; write the snapshot outside the repository/);
  }
  assert.ok(!existsSync(join(repo.dir, "stage")) && !existsSync(join(repo.dir, "src", "deep")), "nothing was created inside");
  assert.equal(git(repo.dir, ["status", "--porcelain"]).stdout, "");

  const cwd = process.cwd();
  process.chdir(work);
  try {
    const run = await runCli(["mine", "snapshot", chain, "--stage", "2", "--mined", "mined", "--repo", relative(work, repo.dir), "-o", "rel-snap"]);
    assert.equal(run.code, 0, run.stderr);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(git(join(work, "rel-snap"), ["rev-parse", "HEAD"]).stdout.trim(), shas.ignoreFile, "--repo and -o relative to the working directory");

  // A failure half-way (an object the fetch needs is damaged) leaves neither the snapshot nor its temporary folder.
  const blob = git(repo.dir, ["rev-parse", `${shas.pr1}:src/calc.js`]).stdout.trim();
  const object = join(repo.dir, ".git", "objects", blob.slice(0, 2), blob.slice(2));
  chmodSync(object, 0o644);
  writeFileSync(object, "damaged");
  const target = join(work, "failed", "snap");
  const failed = await runCli(["mine", "snapshot", chain, "--stage", "2", "--mined", mined, "-o", target]);
  assert.equal(failed.code, 1);
  assert.doesNotMatch(failed.stderr, /\n\s+at /);
  assert.ok(!existsSync(join(work, "failed")), "no partial .git, no temporary folder, not even the parent it created");
});
