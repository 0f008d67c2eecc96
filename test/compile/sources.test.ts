import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { extractEvidence } from "../../src/compile/evidence/index.js";
import { SourceResolver } from "../../src/compile/sources.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { tempDir } from "../helpers/collect.js";

const BUGGY = "def count_words(text):\n    return len(text.split(\" \"))\n";
const FIXED = "def count_words(text):\n    return len(text.split())\n";
const PATCH = `diff --git a/stats/counter.py b/stats/counter.py
--- a/stats/counter.py
+++ b/stats/counter.py
@@ -1,2 +1,2 @@
 def count_words(text):
-    return len(text.split(" "))
+    return len(text.split())
`;

/** A repository whose HEAD already holds the fix: base (buggy), fix, then an unrelated commit. */
function repository(): { path: string; base: string } {
  const path = tempDir("acc-repo-");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args], { cwd: path, encoding: "utf8" }).trim();
  git("init", "-q");
  mkdirSync(join(path, "stats"));
  writeFileSync(join(path, "stats/counter.py"), BUGGY);
  git("add", "-A");
  git("commit", "-qm", "base");
  const base = git("rev-parse", "HEAD");
  writeFileSync(join(path, "stats/counter.py"), FIXED);
  git("commit", "-qam", "the fix");
  writeFileSync(join(path, "README"), "later\n");
  git("add", "-A");
  git("commit", "-qm", "unrelated");
  return { path, base };
}

function trajectory(patch: string, baseCommit?: string): Trajectory {
  const view = { id: "v", id_origin: "source" as const, name: "bash", raw_arguments: null, arguments: { command: "cat stats/counter.py" }, type: "function" as const };
  return {
    schema: "acc.trajectory",
    schema_version: "1.0.0",
    id: `t-${baseCommit ?? "none"}-${patch.length}`,
    source: { format: "test", file: "x", locator: {} },
    domain: "swe",
    domain_origin: "given",
    task: { question: "Count words on any whitespace.", question_origin: "dataset_field", system_prompt: null, ground_truth: null, ...(baseCommit ? { repo: { base_commit: baseCommit } } : {}) },
    messages: [
      { role: "assistant", content: null, reasoning: null, tool_calls: [view] },
      { role: "tool", call_id: "v", name: "bash", content: "def count_words(text):\n    return len(text.split(\" \"))  # as the agent saw it", is_error: false, pairing: "id" },
    ],
    final: { answer: patch, reasoning: null, kind: "patch" },
    outcome: { success: true, reward: null, label_source: null, submitted_patch: patch, submitted_sql: null },
    events: [],
    subagents: [],
    extra: {},
  };
}

const evidenceOf = (t: Trajectory, resolver: SourceResolver) => {
  const sources = resolver.for(t);
  return { base: sources.repoBase, text: extractEvidence(t, sources).find((p) => p.role === "evidence")?.text };
};

test("a SWE trajectory with no base commit is read at the newest commit its patch applies to, never at HEAD (which holds the fix)", () => {
  const { path, base } = repository();
  const resolver = new SourceResolver({ repo: path, maxTableChars: 1_000, maxDirectoryDistractors: 5 });
  assert.deepEqual(evidenceOf(trajectory(PATCH), resolver), { base: "derived", text: BUGGY.trim() });
  assert.equal(resolver.for(trajectory(PATCH)).repo?.commit, base);
  // CRLF line ends, as some logs keep them, still find the base.
  assert.equal(resolver.for(trajectory(PATCH.replaceAll("\n", "\r\n"))).repo?.commit, base);
});

test("a recorded base is used; one missing from the repository, or a patch that applies nowhere, falls back to the log's views (counted)", () => {
  const { path, base } = repository();
  const resolver = new SourceResolver({ repo: path, maxTableChars: 1_000, maxDirectoryDistractors: 5 });
  assert.deepEqual(evidenceOf(trajectory(PATCH, base), resolver), { base: "recorded", text: BUGGY.trim() });
  const missing = evidenceOf(trajectory(PATCH, "0123456789abcdef0123456789abcdef01234567"), resolver);
  assert.equal(missing.base, "recorded-missing");
  assert.match(missing.text!, /as the agent saw it/);
  const nowhere = evidenceOf(trajectory(PATCH.replace("def count_words", "def count_lines")), resolver);
  assert.equal(nowhere.base, "unknown");
  assert.match(nowhere.text!, /as the agent saw it/, "the log's view, not HEAD's file");
});
