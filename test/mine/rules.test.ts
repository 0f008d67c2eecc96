import assert from "node:assert/strict";
import { test } from "node:test";
import { buildChainPaths } from "../../src/mine/chains.js";
import { parseTestOutput } from "../../src/mine/execution.js";
import { sideOf } from "../../src/mine/line-keys.js";
import type { CommitPatch, FileChange } from "../../src/mine/patch-parser.js";
import { findReferences } from "../../src/mine/references.js";
import { isMassReformat } from "../../src/mine/reformat.js";
import { scoreLink } from "../../src/mine/scoring.js";
import { labelStage, redactLeaks, stageInstruction } from "../../src/mine/stages.js";
import { isTestPath } from "../../src/mine/test-paths.js";
import type { Link } from "../../src/records/mine.js";

const refs = (text: string, title = false) => findReferences(text, "acme/widgets", title).map((r) => `${r.kind}:${"number" in r ? r.number : "sha" in r ? r.sha : r.title}`);

test("references: closing keywords in every documented form, same repository only, HTML comments ignored", () => {
  assert.deepEqual(refs("Fixes #1. closes #2, Resolved: #3 and fix: acme/widgets#4"), ["closes:1", "closes:2", "closes:3", "closes:4"]);
  assert.deepEqual(refs("resolves https://github.com/acme/widgets/issues/5 and https://github.com/acme/widgets/pull/6"), ["closes:5"]);
  assert.deepEqual(refs("Fixes other/repo#7, closes https://github.com/other/repo/issues/8"), []);
  assert.deepEqual(refs("<!-- Fixes #9 -->Describe it"), []);
  assert.deepEqual(refs("prefix#10 fixes#11 unfixes #12"), [], "a keyword needs a word boundary and a space or colon");
  assert.deepEqual(refs("Follow-up to #20; followup #21; follow up for acme/widgets#22; FOLLOW-UP: #23"), [
    "follow-up:20",
    "follow-up:21",
    "follow-up:22",
    "follow-up:23",
  ]);
  assert.deepEqual(refs("Refs #30, see #31, related to #32, part of #33"), ["mention:30", "mention:31", "mention:32", "mention:33"]);
  assert.deepEqual(refs("Reverts acme/widgets#40\n\nThis reverts commit 0123abcd."), ["revert-commit:0123abcd", "revert:40"]);
  assert.deepEqual(refs('Revert "Add add (#41)"', true), ["revert:41"]);
  assert.deepEqual(refs('Revert "Add add"', true), ["revert-title:Add add"]);
  assert.deepEqual(refs('Revert "Add add"', false), ["revert-title:Add add"], "a quoted subject names a commit anywhere");
  assert.deepEqual(refs("Revert caching a default SSLContext (#6767)", true), ["revert-title:caching a default SSLContext"], "unquoted, in a title");
  assert.deepEqual(refs("Revert caching a default SSLContext", false), [], "unquoted words outside a title are prose");
  assert.deepEqual(refs("Partially revert 3f2a1b9c", true), ["revert-commit:3f2a1b9c"]);
  assert.deepEqual(refs("Partial revert of #77", true), ["revert:77"]);
  assert.deepEqual(refs("reverting 3362", true), ["revert:3362"]);
  assert.deepEqual(refs("Reverting #12 and #13 for now"), ["revert:12", "revert:13"]);
  assert.deepEqual(refs("Back out changeset 9f8e7d6c5b"), ["revert-commit:9f8e7d6c5b"]);
  assert.deepEqual(refs('Backout "Use the new parser"', true), ["revert-title:Use the new parser"]);
  assert.deepEqual(refs("[2.x] fix(http): revert #88 (#90)", true), ["revert:88"], "tags and conventional prefixes before the verb");
  assert.deepEqual(refs("Revert to the old default when unset", true), ["revert-title:to the old default when unset"], "resolved only if a PR has that title");
  assert.deepEqual(refs("We should not revert #5 yet"), [], "the verb must lead the line");
});

test("test paths: directory components and file-name conventions, not substrings", () => {
  for (const path of ["tests/a.py", "src/test/java/FooTest.java", "pkg/__tests__/x.js", "a/test_x.py", "x_test.go", "web/app.spec.ts", "lib/x.test.mjs", "conftest.py", "Testing/x.c", "spec/models/user_spec.rb"]) {
    assert.ok(isTestPath(path), path);
  }
  for (const path of ["contest.py", "attestation/x.py", "src/latest.js", "testimony.md", "src/protest/a.c"]) assert.ok(!isTestPath(path), path);
});

const diff = (files: [string, [string[], string[]][]][]): CommitPatch => ({
  sha: "0".repeat(40),
  patchBytes: 0,
  files: files.map(
    ([path, hunks]): FileChange => ({
      status: "M",
      oldMode: "100644",
      newMode: "100644",
      oldSha: "1".repeat(40),
      newSha: "2".repeat(40),
      oldPath: path,
      path,
      oldPathBytes: Buffer.from(path),
      pathBytes: Buffer.from(path),
      binary: false,
      added: 1,
      deleted: 1,
      oversized: false,
      sections: [],
      hunks: hunks.map(([removed, added]) => ({ oldStart: 1, oldCount: removed.length, newStart: 1, newCount: added.length, removed: sideOf(removed), added: sideOf(added) })),
    }),
  ),
});

test("mass reformats: many files whose changed lines differ only in whitespace, quotes, commas or semicolons", () => {
  const quoteFlip = (n: number): [string[], string[]] => [Array.from({ length: n }, (_, i) => `x${i} = 'v';`), Array.from({ length: n }, (_, i) => `x${i} = "v"`)];
  assert.ok(isMassReformat(diff([["a.js", [quoteFlip(4)]], ["b.js", [quoteFlip(4)]], ["c.js", [quoteFlip(4)]]])));
  const reflow: [string[], string[]] = [["call(a, b, c)"], ["call(", "  a,", "  b,", "  c,", ")"]];
  assert.ok(isMassReformat(diff([["a.py", [reflow, reflow]], ["b.py", [reflow]], ["c.py", [quoteFlip(2)]]])), "a call split over lines is cosmetic");
  assert.ok(!isMassReformat(diff([["a.js", [quoteFlip(8)]], ["b.js", [quoteFlip(8)]]])), "two files are not many");
  const real = (n: number): [string[], string[]] => [Array.from({ length: n }, (_, i) => `x${i} = 1`), Array.from({ length: n }, (_, i) => `x${i} = 2`)];
  assert.ok(!isMassReformat(diff([["a.js", [real(5)]], ["b.js", [real(5)]], ["c.js", [quoteFlip(2)]]])), "mostly real changes");
});

test("stage labels: the first rule that applies", () => {
  const facts = { body: "", labels: [] as string[], files: ["src/a.py"], reverts: false, blameIgnored: false };
  assert.equal(labelStage({ ...facts, title: 'Revert "Add x"' }), "revert");
  assert.equal(labelStage({ ...facts, title: "Add x", reverts: true }), "revert");
  assert.equal(labelStage({ ...facts, title: "Add x", files: ["tests/test_a.py"] }), "test");
  assert.equal(labelStage({ ...facts, title: "test: cover x" }), "test");
  assert.equal(labelStage({ ...facts, title: "Handle None in parse" , labels: ["type: bug"] }), "fix");
  assert.equal(labelStage({ ...facts, title: "fix(parser): empty input" }), "fix");
  assert.equal(labelStage({ ...facts, title: "Refactor the parser" }), "refactor");
  assert.equal(labelStage({ ...facts, title: "Run black", blameIgnored: true }), "refactor");
  assert.equal(labelStage({ ...facts, title: "Add streaming parser" }), "feature");
  assert.equal(labelStage({ ...facts, title: "Prefix handling", labels: ["prefix"] }), "feature", "label words need a word start");
});

test("statements: title, body without trailers or CRLF, new commit messages, issues; repeats and merges of the base left out", () => {
  const text = stageInstruction({
    title: "Rename 'next' to 'anext' on Response",
    body: "* Rename 'next' to 'anext' on Response\r\n\r\n* Drop the check\r\n\r\nCo-authored-by: Ada <ada@example.com>",
    messages: ["Rename 'next' to 'anext' on Response", "Merge branch 'master' into anext", "Keep the old name as an alias\n\nSigned-off-by: Bob <bob@example.com>"],
    closing: [12, 13],
    issues: [{ number: 12, title: "next() clashes with iterators", body: "Calling next(response) fails.\r\n" }],
    referenced: [{ number: 9, title: "Async API naming", body: "" }],
  });
  assert.equal(
    text,
    [
      "Rename 'next' to 'anext' on Response",
      "* Rename 'next' to 'anext' on Response\n\n* Drop the check",
      "Commits:\n- Keep the old name as an alias",
      "Issue #12: next() clashes with iterators\n\nCalling next(response) fails.",
      "Resolves issue #13.",
      "Related issues:\n- #9: Async API naming",
    ].join("\n\n"),
  );
});

test("leak redaction: lines repeating an added line go, short common lines stay, counts are exact", () => {
  const added = ["    return parse_header(data, strict=True)", "}", "x = 1"];
  const text = "Parse headers strictly.\nWe now call return parse_header(data, strict=True) here.\nx = 1 stays: too short.\n}";
  assert.deepEqual(redactLeaks(text, added), { text: "Parse headers strictly.\nx = 1 stays: too short.\n}", redacted: 1 });
  assert.deepEqual(redactLeaks("No code here.", added), { text: "No code here.", redacted: 0 });
});

test("test output: TAP lines (SKIP/TODO ignored, a failure wins over a pass of the same name), else the exit code", () => {
  const tap = "TAP version 13\nok 1 - adds\nnot ok 2 - subtracts\nok 3 - later # SKIP not yet\nok 4 - adds\nnot ok 5 - adds\nok 6\n";
  assert.deepEqual(parseTestOutput(tap, "cmd", 1), { passed: ["#6"], failed: ["adds", "subtracts"] });
  assert.deepEqual(parseTestOutput("all good\n", "make test", 0), { passed: ["make test"], failed: [] });
  assert.deepEqual(parseTestOutput("boom\n", "make test", 2), { passed: [], failed: ["make test"] });
});

const link = (from: number, to: number, score: number, kind: Link["kind"] = "blame"): Link => ({
  id: `${kind}:pr-${from}->pr-${to}`,
  kind,
  from: { type: "pr", number: from },
  to: { type: "pr", number: to },
  score,
  signals: { weight: 1, strength: 1, module_overlap: 1, days_apart: 0, time_decay: 1 },
  evidence: [{ source: "history", text: "x" }],
});

test("chains: long paths are cut into windows of at most 8 that share one PR; weak links and ties", () => {
  const order = new Map(Array.from({ length: 12 }, (_, i) => [i + 1, i] as [number, number]));
  const line = Array.from({ length: 9 }, (_, i) => link(i + 1, i + 2, 0.9));
  assert.deepEqual(buildChainPaths(order, line).map((p) => p.prs), [[1, 2, 3, 4, 5, 6, 7, 8], [8, 9, 10]]);
  assert.deepEqual(buildChainPaths(order, [link(1, 2, 0.29)]), [], "below the minimum score");
  // 3 has two candidate parents with equal scores: the later one (2) wins.
  const tie = buildChainPaths(order, [link(1, 3, 0.5), link(2, 3, 0.5), link(1, 2, 0.4, "module")]);
  assert.deepEqual(tie.map((p) => p.prs), [[1, 2, 3]]);
  // A branch: 1 → 2 → 3 and 1 → 4; the deeper branch keeps the root, the other starts at it.
  const branch = buildChainPaths(order, [link(1, 2, 0.9), link(2, 3, 0.9), link(1, 4, 0.9)]);
  assert.deepEqual(branch.map((p) => [p.prs, p.links.map((l) => l.id)]), [
    [[1, 2, 3], ["blame:pr-1->pr-2", "blame:pr-2->pr-3"]],
    [[1, 4], ["blame:pr-1->pr-4"]],
  ]);
});

test("scores follow the documented formula", () => {
  assert.deepEqual(scoreLink("revert", 1, 1, 400), { score: 1, signals: { weight: 1, strength: 1, module_overlap: 1, days_apart: 400, time_decay: 1 } });
  assert.equal(scoreLink("blame", 0.75, 0.5, 365).score, Math.round(0.8 * 0.75 * 0.875 * 0.75 * 10_000) / 10_000, "a year on, blame keeps 3/4");
  assert.equal(scoreLink("blame", 1, 1, 3650).score, Math.round(0.8 * (0.5 + 0.5 * 2 ** -10) * 10_000) / 10_000, "and never falls under half");
  assert.equal(scoreLink("module", 1, 1, 365).score, 0.2, "module links halve every year");
  assert.equal(scoreLink("closes", 1, null, null).score, 1);
  assert.equal(scoreLink("module", 1, 0, 0).score, 0.3);
});
