import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BinaryLiterals } from "../../src/mine/binary-patch.js";
import { BlobReader } from "../../src/mine/blobs.js";
import { GitError } from "../../src/mine/errors.js";
import { Git, splitRecords } from "../../src/mine/git.js";
import { DEFAULT_PARSER_OPTIONS, readCommits, readMainlinePatches } from "../../src/mine/history.js";
import { assembleStagePatch } from "../../src/mine/instances.js";
import { sideOf } from "../../src/mine/line-keys.js";
import { type CommitPatch, type FileChange, PatchParser } from "../../src/mine/patch-parser.js";
import { PatchSpill } from "../../src/mine/spill.js";
import { readGraph } from "../../src/mine/graph.js";
import { recoverPrs } from "../../src/mine/prs.js";
import { tempDir } from "../helpers/collect.js";
import { ADA, BOB, FixtureRepo } from "./fixture-repo.js";

test("the mainline reader parses --raw rows and hunks of awkward paths, binary files, renames, merges and empty commits", async () => {
  const repo = new FixtureRepo();
  const odd = ["tab\there.txt", "new\nline.txt", "ünïcode ✓.md", " lead space", 'quote"d.txt'];
  for (const path of odd) repo.write(path, "one\ntwo\n");
  repo.write("blob.bin", Buffer.from([0, 1, 2, 3, 0, 255]));
  repo.write("old name.py", "alpha = 1\nbeta = 2\ngamma = 3\ndelta = 4\n");
  const root = repo.commit("root");
  for (const path of odd) repo.write(path, "one\nTWO\nthree\n");
  repo.write("blob.bin", Buffer.from([0, 9, 9]));
  repo.remove("old name.py").write("new name.py", "alpha = 1\nbeta = 2\ngamma = 3\ndelta = 44\n");
  const second = repo.commit("second\n\nwith body\x1fand a unit separator");
  const empty = repo.commit("nothing changed");
  repo.checkout("side", true).write("side.txt", "s\n").commit("side work", BOB);
  repo.checkout("main");
  const merge = repo.merge("side", "Merge pull request #9 from bob/side\n\nSide work");

  const commits = [];
  for await (const commit of readMainlinePatches(new Git(repo.dir), merge, { lines: true })) commits.push(commit);
  assert.deepEqual(commits.map((d) => d.sha), [root, second, empty, merge], "oldest first, first parents only");
  assert.deepEqual(commits.map((d) => d.error), [undefined, undefined, undefined, undefined]);
  const byPath = new Map(commits[1]!.files.map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [...odd, "blob.bin", "new name.py"].sort(), "paths byte for byte, never quoted");
  for (const path of odd) {
    const file = byPath.get(path)!;
    assert.deepEqual([file.status, file.added, file.deleted, file.hunks.length], ["M", 2, 1, 1], path);
    const hunk = file.hunks[0]!;
    assert.deepEqual([hunk.oldStart, hunk.oldCount, hunk.newStart, hunk.newCount], [2, 1, 2, 2], "the -U0 run inside the -U3 hunk");
    assert.deepEqual([hunk.removed.ws, hunk.added.ws], [sideOf(["two"]).ws, sideOf(["TWO", "three"]).ws]);
  }
  assert.deepEqual(pick(byPath.get("blob.bin")!), { status: "M", binary: true, added: 0, deleted: 0, hunks: 0 });
  const renamed = byPath.get("new name.py")!;
  assert.deepEqual([renamed.status, renamed.oldPath, renamed.added, renamed.deleted], ["R", "old name.py", 1, 1], "renames are followed");
  assert.deepEqual([renamed.hunks[0]!.oldStart, renamed.hunks[0]!.newStart], [4, 4]);
  assert.deepEqual(commits[2]!.files, []);
  assert.deepEqual(commits[3]!.files.map((f) => [f.path, f.added]), [["side.txt", 1]], "a merge diffs against its first parent");

  // The push parser gives the same records however the bytes are chunked.
  const raw = await new Git(repo.dir).output(["log", "--first-parent", "--reverse", "--diff-merges=first-parent", "-z", "--raw", "-p", "--full-index", "--no-abbrev", "-M", "--format=%x1e%H", merge]);
  // With the patch bytes kept too: a section cut by chunk ends (inside a line, or right after one) is put together again.
  const keeping = { ...DEFAULT_PARSER_OPTIONS, lines: true, keepPatch: () => true };
  const whole = new PatchParser(keeping);
  const wholeRecords = [...whole.push(raw), ...whole.end()];
  assert.ok(wholeRecords.some((record) => record.files.some((file) => file.sections.length > 0)));
  for (const size of [1, 3, 64, 200]) {
    const parser = new PatchParser({ ...DEFAULT_PARSER_OPTIONS, lines: true });
    const parsed = [];
    for (let i = 0; i < raw.length; i += size) parsed.push(...parser.push(raw.subarray(i, i + size)));
    parsed.push(...parser.end());
    assert.deepEqual(parsed, commits, `chunks of ${size} bytes`);
    const kept = new PatchParser(keeping);
    const keptRecords = [];
    for (let i = 0; i < raw.length; i += size) keptRecords.push(...kept.push(raw.subarray(i, i + size)));
    keptRecords.push(...kept.end());
    assert.deepEqual(keptRecords, wholeRecords, `chunks of ${size} bytes, patches kept`);
  }

  const infos = new Map<string, { message: string; parents: string[]; authorName: string }>();
  for await (const commit of readCommits(new Git(repo.dir), "HEAD")) infos.set(commit.sha, commit);
  assert.equal(infos.size, 5);
  assert.equal(infos.get(second)!.message, "second\n\nwith body\x1fand a unit separator\n");
  assert.equal(infos.get(merge)!.parents.length, 2);
  assert.equal(infos.get(merge)!.authorName, "Ada");
});

const pick = (file: FileChange) => ({ status: file.status, binary: file.binary, added: file.added, deleted: file.deleted, hunks: file.hunks.length });

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
  const graph = await readGraph(new Git(repo.dir), repo.head());
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
  const recovery = recoverPrs(await readGraph(new Git(repo.dir), repo.head()));
  assert.deepEqual(recovery.prs.map((pr) => [pr.number, pr.mergeCommit]), [[4, first]]);
  assert.deepEqual(recovery.duplicates, [{ sha: again, number: 4 }]);
  assert.equal(recovery.unattributed, 3, "root, the duplicate and the plain merge");
});

test("git errors name the command and the repository, on one line", async () => {
  const repo = new FixtureRepo();
  repo.write("a", "1\n").commit("root");
  const bad = new Git(repo.dir);
  await assert.rejects(async () => {
    for await (const _ of bad.stream(["log", "--definitely-not-an-option"])) void _;
  }, (error: unknown) => {
    assert.ok(error instanceof GitError);
    assert.match(error.message, /^`git log --definitely-not-an-option` failed in .* \(exit 128\): fatal: unrecognized argument/);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
});

test("a bulk read runs git without a flush per commit and with a 1 MiB stdout buffer; its output is the plain read's", async () => {
  const repo = new FixtureRepo();
  for (let commit = 0; commit < 20; commit++) repo.write("file.txt", `${"line\n".repeat(commit * 50)}${commit}\n`).commit(`change ${commit}`);
  const git = new Git(repo.dir);
  const args = ["log", "-p", "--reverse", "HEAD"];
  const chunks: Buffer[] = [];
  for await (const chunk of git.stream(args, { bulk: true })) chunks.push(chunk);
  assert.deepEqual(Buffer.concat(chunks), await git.output(args));
  // What git's process is given, seen by a stand-in git first on PATH: GIT_FLUSH=0, and coreutils' stdbuf
  // (where it works) sets the buffer through _STDBUF_O and its preloaded library
  const bin = tempDir();
  writeFileSync(join(bin, "git"), '#!/bin/sh\nprintf "%s|%s" "$GIT_FLUSH" "$_STDBUF_O"\n', { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const stdbuf = spawnSync("stdbuf", ["-o1M", "true"]).status === 0;
    assert.equal(await git.text(["log"], { bulk: true }), stdbuf ? "0|1048576" : "0|");
    assert.equal(await git.text(["log"]), "|");
  } finally {
    process.env.PATH = path;
  }
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

test("a text file with NUL bytes past git's 8 KB binary sniff (the requests logo case) parses, and its stage patch applies as a binary patch", async () => {
  const repo = new FixtureRepo();
  const text = (tail: string) => Buffer.concat([Buffer.from(`${"%PDF-1.5 header line\n".repeat(500)}`), Buffer.from([0, 0, 1, 10]), Buffer.from(tail)]);
  repo.write("ext/logo.ai", text("one\n")).write("README", "x\n").commit("root");
  repo.write("ext/logo.ai", text("two\n")).write("README", "y\n").commit("Update the logo and readme (#1)");
  const git = new Git(repo.dir);
  const raw = await git.output(["diff", "--no-ext-diff", "HEAD~1", "HEAD", "--", "ext/logo.ai"]);
  assert.ok(raw.includes(0), "git diffs it as text, NUL bytes and all");
  const commits = [];
  for await (const commit of readMainlinePatches(git, repo.head(), { lines: true, keepPatch: () => true })) commits.push(commit);
  assert.deepEqual(commits.map((c) => c.error), [undefined, undefined]);
  const logo = commits[1]!.files.find((f) => f.path === "ext/logo.ai")!;
  assert.deepEqual([logo.binary, logo.added, logo.deleted], [false, 1, 1]);
  const blobs = new BlobReader(repo.dir);
  try {
    const assembled = await assembleStagePatch(commits[1]!, new BinaryLiterals(blobs));
    assert.ok(assembled.ok);
    assert.deepEqual(assembled.value.binaryEncoded, ["ext/logo.ai"]);
    assert.match(assembled.value.patch, /^diff --git a\/README b\/README\n[\s\S]*\ndiff --git a\/ext\/logo.ai b\/ext\/logo.ai\nindex [0-9a-f]{40}\.\.[0-9a-f]{40} 100644\nGIT binary patch\nliteral \d+\n/);
    assert.ok(!assembled.value.patch.includes("\0"));
    const check = spawnSync("git", ["-C", repo.dir, "apply", "--check", "-R", "--binary", "-"], { input: assembled.value.patch, encoding: "utf8" });
    assert.equal(check.status, 0, `the patch is the diff of HEAD: it reverse-applies to the work tree (${check.stderr})`);
  } finally {
    await blobs.close();
  }
});

test("the patch parser returns an unreadable record with its reason and carries on with the next", () => {
  const good = (sha: string) => `\x1e${sha}\0\n:100644 100644 ${"1".repeat(40)} ${"2".repeat(40)} M\0a.txt\0\0diff --git a/a.txt b/a.txt\nindex ${"1".repeat(40)}..${"2".repeat(40)} 100644\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n`;
  const broken = `\x1e${"b".repeat(40)}\0\n:100644 100644 ${"1".repeat(40)} ${"2".repeat(40)} M\0a.txt\0\0diff --git a/a.txt b/a.txt\n@@ -1,2 +1 @@\n-x\nsurprise\n`;
  const mismatched = `\x1e${"c".repeat(40)}\0\n:100644 100644 ${"1".repeat(40)} ${"2".repeat(40)} M\0a.txt\0\0diff --git a/a.txt b/a.txt\nindex ${"3".repeat(40)}..${"2".repeat(40)} 100644\n`;
  const parser = new PatchParser({ ...DEFAULT_PARSER_OPTIONS, lines: true });
  const records = [...parser.push(Buffer.from(good("a".repeat(40)) + broken + mismatched + good("d".repeat(40)))), ...parser.end()];
  assert.deepEqual(
    records.map((r) => [r.sha.slice(0, 1), r.error ?? "ok", r.files.length]),
    [
      ["a", "ok", 1],
      ["b", "unexpected line inside a hunk of a.txt", 0],
      ["c", `the patch section of a.txt does not match its --raw row (index ${"3".repeat(40)}..${"2".repeat(40)})`, 0],
      ["d", "ok", 1],
    ],
  );
});

test("hunk headers and index lines are read by their shape, on the bytes: every other shape makes the record unreadable", () => {
  const sha = (c: string) => c.repeat(40);
  const record = (id: string, index: string, header: string, body = "-x\n+y\n") =>
    `\x1e${sha(id)}\0\n:100644 100644 ${sha("1")} ${sha("2")} M\0a.txt\0\0diff --git a/a.txt b/a.txt\nindex ${index}\n--- a/a.txt\n+++ b/a.txt\n${header}\n${body}`;
  const ok = `${sha("1")}..${sha("2")} 100644`;
  const cases: [string, string, string, string][] = [
    // [index line, hunk header, changed lines, expected: the hunk read, or the error]
    [ok, "@@ -1 +1 @@", "-x\n+y\n", "-1,1 +1,1"],
    [`${"1".repeat(7)}..${"2".repeat(12)}`, "@@ -3,2 +3 @@ def f():", "-x\n-z\n+y\n", "-3,2 +3,1"],
    [ok, "@@ -0,0 +1,2 @@", "+a\n+b\n", "-0,0 +1,2"],
    [ok, "@@ -4,1 +3,0 @@", "-gone\n", "-4,1 +3,0"],
    [ok, "@@ -1, +1 @@", "", "malformed hunk header"],
    [ok, "@@ -a +1 @@", "", "malformed hunk header"],
    [ok, "@@ -1 +1", "", "malformed hunk header"],
    [ok, "@@ -1 +1,x @@", "", "malformed hunk header"],
    [ok, "@@  -1 +1 @@", "", "malformed hunk header"],
    [`..${sha("2")}`, "@@ -1 +1 @@", "-x\n+y\n", "malformed index line in the patch of a.txt"],
    [`${sha("1")}..`, "@@ -1 +1 @@", "-x\n+y\n", "malformed index line in the patch of a.txt"],
    [`${sha("1")}.${sha("2")}`, "@@ -1 +1 @@", "-x\n+y\n", "malformed index line in the patch of a.txt"],
    [`${sha("1")}..${sha("2")}3`, "@@ -1 +1 @@", "-x\n+y\n", "the patch section of a.txt does not match its --raw row (index 1111111111111111111111111111111111111111..22222222222222222222222222222222222222223)"],
    [`${"0".repeat(7)}..${sha("2")}`, "@@ -1 +1 @@", "-x\n+y\n", "the patch section of a.txt does not match its --raw row (index 0000000..2222222222222222222222222222222222222222)"],
  ];
  for (const [i, [index, header, body, expected]] of cases.entries()) {
    const parser = new PatchParser({ ...DEFAULT_PARSER_OPTIONS, lines: true });
    const [read, ...rest] = [...parser.push(Buffer.from(record("a", index, header, body) + record("b", ok, "@@ -1 +1 @@"))), ...parser.end()];
    const hunk = read!.files[0]?.hunks[0];
    assert.equal(read!.error ?? (hunk && `-${hunk.oldStart},${hunk.oldCount} +${hunk.newStart},${hunk.newCount}`), expected, `case ${i}: index ${index}, ${header}`);
    assert.deepEqual(rest.map((r) => [r.sha, r.error]), [[sha("b"), undefined]], `case ${i}: the next record is read`);
  }
});

test("the patch spill gives back the sections it was given, from memory or, past its memory budget, from disk", () => {
  const record = (sha: string, parts: string[][]): CommitPatch => ({
    sha,
    patchBytes: 0,
    files: parts.map((sections, i) => ({ ...emptyChange(`f${i}`), sections: sections.map((s) => Buffer.from(s)) })),
  });
  for (const budget of [0, 10, 1 << 20]) {
    const spill = new PatchSpill(budget);
    try {
      const inputs = [record("a", [["one\0", "two"], ["three"]]), record("b", [[]]), record("c", [["\xff bytes"]])];
      const kept = inputs.map((r) => spill.put(r));
      assert.deepEqual(kept.map((k) => spill.get(k)).reverse(), [...inputs].reverse().map((r) => ({ ...r, files: r.files.map((f) => ({ ...f, hunks: [] })) })), `budget ${budget}`);
    } finally {
      spill.close();
    }
  }
});

function emptyChange(path: string): FileChange {
  return { status: "M", oldMode: "100644", newMode: "100644", oldSha: "1".repeat(40), newSha: "2".repeat(40), oldPath: path, path, oldPathBytes: Buffer.from(path), pathBytes: Buffer.from(path), binary: false, added: 0, deleted: 0, hunks: [], oversized: false, sections: [] };
}
