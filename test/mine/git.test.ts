import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Git, GitError, splitRecords } from "../../src/mine/git.js";
import { MainlineParser, readCommits, readMainlineDiffs } from "../../src/mine/history.js";
import { readGraph } from "../../src/mine/graph.js";
import { recoverPrs } from "../../src/mine/prs.js";
import { tempDir } from "../helpers/collect.js";
import { ADA, BOB, FixtureRepo } from "./fixture-repo.js";

test("the mainline reader parses numstat and -U0 hunks of awkward paths, binary files, merges and empty commits", async () => {
  const repo = new FixtureRepo();
  const odd = ["tab\there.txt", "new\nline.txt", "ünïcode ✓.md", " lead space", 'quote"d.txt'];
  for (const path of odd) repo.write(path, "one\ntwo\n");
  repo.write("blob.bin", Buffer.from([0, 1, 2, 3, 0, 255]));
  const root = repo.commit("root");
  for (const path of odd) repo.write(path, "one\nTWO\nthree\n");
  repo.write("blob.bin", Buffer.from([0, 9, 9]));
  const second = repo.commit("second\n\nwith body\x1fand a unit separator");
  const empty = repo.commit("nothing changed");
  repo.checkout("side", true).write("side.txt", "s\n").commit("side work", BOB);
  repo.checkout("main");
  const merge = repo.merge("side", "Merge pull request #9 from bob/side\n\nSide work");

  const diffs = [];
  for await (const diff of readMainlineDiffs(new Git(repo.dir), "HEAD")) diffs.push(diff);
  assert.deepEqual(diffs.map((d) => d.sha), [root, second, empty, merge], "oldest first, first parents only");
  const byPath = new Map(diffs[1]!.files.map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [...odd, "blob.bin"].sort(), "paths byte for byte, never quoted");
  for (const path of odd) {
    assert.deepEqual(byPath.get(path), {
      path,
      added: 2,
      deleted: 1,
      hunks: [{ oldStart: 2, oldCount: 1, newStart: 2, newCount: 2, removed: ["two"], added: ["TWO", "three"] }],
    });
  }
  assert.deepEqual(byPath.get("blob.bin"), { path: "blob.bin", added: null, deleted: null, hunks: [] });
  assert.deepEqual(diffs[2]!.files, []);
  assert.deepEqual(diffs[3]!.files.map((f) => [f.path, f.added, f.hunks[0]?.added]), [["side.txt", 1, ["s"]]], "a merge diffs against its first parent");

  // The push parser gives the same commits however the bytes are chunked.
  const raw = await new Git(repo.dir).output(["log", "--first-parent", "--reverse", "--diff-merges=first-parent", "-z", "--numstat", "-p", "-U0", "--no-renames", "--format=%x1e%H", "HEAD"]);
  for (const size of [1, 3, 64]) {
    const parser = new MainlineParser("git log", repo.dir);
    const parsed = [];
    for (let i = 0; i < raw.length; i += size) parsed.push(...parser.push(raw.subarray(i, i + size)));
    parsed.push(...parser.end());
    assert.deepEqual(parsed, diffs, `chunks of ${size} bytes`);
  }

  const commits = new Map<string, { message: string; parents: string[] }>();
  for await (const commit of readCommits(new Git(repo.dir), "HEAD")) commits.set(commit.sha, commit);
  assert.equal(commits.size, 5);
  assert.equal(commits.get(second)!.message, "second\n\nwith body\x1fand a unit separator\n");
  assert.equal(commits.get(merge)!.parents.length, 2);
});

test("the commit graph assigns every commit the mainline merge it landed with", async () => {
  const repo = new FixtureRepo();
  repo.write("a", "1\n").commit("root");
  repo.checkout("one", true).write("b", "1\n");
  const b1 = repo.commit("b1", BOB);
  repo.write("b", "2\n");
  const b2 = repo.commit("b2", BOB);
  repo.checkout("main").write("c", "1\n").commit("direct");
  repo.checkout("two", true).write("d", "1\n");
  const d1 = repo.commit("d1", ADA);
  repo.git(["merge", "-q", "--no-ff", "-m", "bring one into two", "one"]);
  repo.checkout("main");
  const mergeTwo = repo.merge("two", "Merge pull request #2 from ada/two\n\nTwo");
  const graph = await readGraph(new Git(repo.dir), "HEAD");
  const { prs, unattributed } = recoverPrs(graph);
  assert.equal(prs.length, 1);
  assert.equal(prs[0]!.mergeCommit, mergeTwo);
  assert.deepEqual(new Set(prs[0]!.commits), new Set([b1, b2, d1, graph.commits.get(mergeTwo)!.parents[1]!]), "first parent..second parent");
  assert.equal(unattributed, 2);
});

test("PR numbers: a number seen again later is reported, not recovered twice; merges of other shapes stay unattributed", async () => {
  const repo = new FixtureRepo();
  repo.write("a", "1\n").commit("root");
  repo.write("a", "2\n");
  const first = repo.commit("Add a (#4)");
  repo.write("a", "3\n");
  const again = repo.commit("Backport a (#4)");
  repo.checkout("x", true).write("x", "1\n").commit("x");
  repo.checkout("main");
  repo.merge("x", "Merge branch 'x'");
  const recovery = recoverPrs(await readGraph(new Git(repo.dir), "HEAD"));
  assert.deepEqual(recovery.prs.map((pr) => [pr.number, pr.mergeCommit]), [[4, first]]);
  assert.deepEqual(recovery.duplicates, [{ sha: again, number: 4 }]);
  assert.equal(recovery.unattributed, 3, "root, the duplicate and the plain merge");
});

test("git errors name the command and the repository", async () => {
  const notRepo = tempDir();
  await assert.rejects(readGraph(new Git(notRepo), "HEAD"), (error: unknown) => {
    assert.ok(error instanceof GitError);
    assert.match(error.message, /`git rev-parse --verify --end-of-options HEAD\^\{commit\}` failed in .*acc-test-/);
    assert.ok(error.message.includes(notRepo));
    assert.match(error.message, /not a git repository/);
    return true;
  });
  const repo = new FixtureRepo();
  repo.write("a", "1\n").commit("root");
  await assert.rejects(readGraph(new Git(repo.dir), "no-such-branch"), /`git rev-parse .*no-such-branch.*` failed in .*repo/);
  const bad = new Git(repo.dir);
  await assert.rejects(async () => {
    for await (const _ of bad.stream(["log", "--definitely-not-an-option"])) void _;
  }, /`git log --definitely-not-an-option` failed in .* \(exit 128\): fatal: unrecognized argument/);
});

test("NUL-delimited records survive any chunking", async () => {
  const records = ["a", "", "bb\ncc", "d".repeat(1000)];
  const bytes = Buffer.from(`${records.join("\0")}\0`);
  for (const size of [1, 2, 7, 1000, bytes.length]) {
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    const out: string[] = [];
    for await (const record of splitRecords(chunks(), 0)) out.push(record.toString());
    assert.deepEqual(out, records, `chunks of ${size}`);
  }
  assert.equal(spawnSync("git", ["--version"]).status, 0);
});
