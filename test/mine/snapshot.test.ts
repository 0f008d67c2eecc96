import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SnapshotError, verifySnapshot, writeSnapshot } from "../../src/mine/snapshot.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildScenario } from "./scenario.js";

const git = (dir: string, args: string[]) => spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
const lines = (text: string) => text.split("\n").filter(Boolean);
const objectIds = (text: string) => lines(text).map((line) => line.split(" ")[0]!);

test("acc mine snapshot writes a stage repository that holds nothing from after the stage's base", async () => {
  const { repo, shas } = buildScenario();
  repo.git(["tag", "-a", "v1.2", "-m", "release 1.2"]);
  const work = tempDir();
  const mined = join(work, "mined");
  assert.equal((await runCli(["mine", repo.dir, "-o", mined, "-q"])).code, 0);
  const chain = lines(readFileSync(join(mined, "chains.jsonl"), "utf8")).map((l) => JSON.parse(l)).find((c) => c.id === "acme__widgets-1-chain-5");
  assert.deepEqual(chain.stages.map((s: { pr: number }) => s.pr), [1, 3, 4, 5]);
  const base = chain.stages[2].base_commit;
  assert.equal(base, shas.r2, "stage 3 is #4, whose base is the formatter commit before it");

  const snap = join(work, "stage3");
  const run = await runCli(["mine", "snapshot", "acme__widgets-1-chain-5", "--stage", "3", "--mined", mined, "-o", snap]);
  // 9 commits: c0, #1 and its branch commit, #2, R1, the ignore-file commit, #3 (two), R2.
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`stage 3 of acme__widgets-1-chain-5: ${snap} at ${base} \\(9 commits, \\d+ objects, nothing after the base\\)`));

  // What the source repository holds beyond the base: later commits (#4, #5, #6 and its branch commit,
  // #7, #8), the annotated tag object, and every tree and blob they introduced.
  const ancestors = new Set(lines(git(repo.dir, ["rev-list", base]).stdout));
  const reachable = new Set(objectIds(git(repo.dir, ["rev-list", "--objects", base]).stdout));
  const everything = objectIds(git(repo.dir, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).stdout);
  const later = everything.filter((sha) => !reachable.has(sha));
  for (const sha of [shas.pr4, shas.pr5, shas.pr6, shas.pr7, shas.pr8]) assert.ok(later.includes(sha));
  const tagObject = git(repo.dir, ["rev-parse", "v1.2"]).stdout.trim();
  assert.ok(later.includes(tagObject));

  const logAll = lines(git(snap, ["log", "--all", "--reflog", "--format=%H"]).stdout);
  assert.deepEqual(new Set(logAll), ancestors, "git log --all shows exactly the base and its ancestors");
  for (const sha of later) assert.notEqual(git(snap, ["cat-file", "-e", sha]).status, 0, `cat-file -e ${sha} must fail`);
  const stored = objectIds(git(snap, ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).stdout);
  assert.deepEqual(stored.filter((sha) => !reachable.has(sha)), [], "no stray objects in the store");
  assert.equal(new Set(stored).size, reachable.size, "every object reachable from the base is there");

  assert.deepEqual(lines(git(snap, ["for-each-ref", "--format=%(refname)"]).stdout), ["refs/heads/main"], "no tags, no other branches");
  assert.equal(git(snap, ["remote"]).stdout, "");
  assert.equal(git(snap, ["reflog", "show", "--all"]).stdout, "");
  assert.ok(!existsSync(join(snap, ".git", "FETCH_HEAD")) && !existsSync(join(snap, ".git", "ORIG_HEAD")));
  assert.equal(git(snap, ["log", "--all", "-S", "signed sum", "--format=%H"]).stdout, "", "#4's change cannot be dug up");
  assert.equal(git(snap, ["rev-parse", "HEAD"]).stdout.trim(), base);
  assert.equal(git(snap, ["status", "--porcelain"]).stdout, "", "the work tree is checked out at the base");
  assert.equal(readFileSync(join(snap, "src/calc.js"), "utf8"), git(repo.dir, ["show", `${base}:src/calc.js`]).stdout);
});

test("snapshot refusals: a non-empty directory, an unknown chain, a stage past the end", async () => {
  const { repo, shas } = buildScenario();
  const work = tempDir();
  const busy = join(work, "busy");
  mkdirSync(busy);
  writeFileSync(join(busy, "keep.txt"), "mine\n");
  await assert.rejects(writeSnapshot(repo.dir, shas.c0, busy), (e: unknown) => e instanceof SnapshotError && /busy is not empty/.test(e.message));
  assert.equal(readFileSync(join(busy, "keep.txt"), "utf8"), "mine\n");

  const mined = join(work, "mined");
  await runCli(["mine", repo.dir, "-o", mined, "-q"]);
  const unknown = await runCli(["mine", "snapshot", "nope", "--stage", "1", "--mined", mined, "-o", join(work, "s1")]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no chain "nope" in .*chains.jsonl/);
  const past = await runCli(["mine", "snapshot", "acme__widgets-1-chain-7", "--stage", "3", "--mined", mined, "-o", join(work, "s2")]);
  assert.equal(past.code, 2);
  assert.match(past.stderr, /--stage 3 is past the end of chain acme__widgets-1-chain-7 \(2 stages\)/);
  const first = await runCli(["mine", "snapshot", "acme__widgets-1-chain-7", "--stage", "1", "--mined", mined, "-o", join(work, "s3")]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /\(1 commits, /);
  // a manifest without the repository's path: one usage line naming it, not a crash on undefined
  writeFileSync(join(mined, "manifest.json"), JSON.stringify({ repo: "acme/widgets" }));
  const noRepo = await runCli(["mine", "snapshot", "acme__widgets-1-chain-7", "--stage", "1", "--mined", mined, "-o", join(work, "s4")]);
  assert.equal(noRepo.code, 2);
  assert.equal(noRepo.stderr.split("\n").length, 2, "one line");
  assert.match(noRepo.stderr, /^acc: not a manifest of acc mine: .*manifest\.json: at repo_path: expected string, received nothing\b.*--mined/);
  assert.ok(!existsSync(join(work, "s4")), "nothing written");

  // The verification is not a formality: bring one later commit in and it names the leak.
  const leaky = join(work, "s3");
  git(leaky, ["fetch", "-q", repo.dir, `${shas.pr8}:refs/heads/later`]);
  await assert.rejects(verifySnapshot(leaky, shas.c0), (e: Error) => /refs other than refs\/heads\/main/.test(e.message) && /commits not in the history of/.test(e.message) && /objects not reachable/.test(e.message));
  git(leaky, ["branch", "-D", "later"]);
  await assert.rejects(verifySnapshot(leaky, shas.c0), /objects not reachable from/, "deleting the branch leaves the objects behind");
});
