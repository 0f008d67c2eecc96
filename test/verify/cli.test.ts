import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import type { SampleVerdict } from "../../src/verify/samples.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample, jsonLines, writeSamples } from "../teach/helpers.js";

test("acc verify qa: one JSON verdict on stdout; exit 0 when it passes, 1 (and one line on stderr) when it does not, 2 on usage errors", async () => {
  const ok = await runCli(["verify", "qa", "--answer", "The Denver Broncos", "--gold", "denver broncos"]);
  assert.deepEqual([ok.code, JSON.parse(ok.stdout).reason], [0, "exact-match"]);
  const no = await runCli(["verify", "qa", "--answer", "Broncos won", "--gold", "Denver Broncos"]);
  assert.deepEqual([no.code, JSON.parse(no.stdout).pass, no.stderr], [1, false, "acc: did not pass: mismatch\n"]);
  const lenient = await runCli(["verify", "qa", "--answer", "Broncos won", "--gold", "Denver Broncos", "--f1", "0.5"]);
  assert.equal(lenient.code, 0);
  const list = await runCli(["verify", "qa", "--answer", "b; a", "--gold", "a, b", "--list", "set"]);
  assert.equal(JSON.parse(list.stdout).reason, "set-match");
  const bad = await runCli(["verify", "qa", "--answer", "a", "--gold", "a", "--f1", "2"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--f1 expects a number from 0 to 1/);
});

test("acc verify sql and patch: exit codes follow the verdict; a missing database is a usage error", async () => {
  const dir = tempDir();
  const db = join(dir, "t.sqlite");
  const handle = new Database(db);
  handle.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2);");
  handle.close();
  const sql = (...flags: string[]) => runCli(["verify", "sql", "--db", db, "--gold-sql", "SELECT x FROM t ORDER BY x", ...flags]);
  assert.equal((await sql("--candidate-sql", "SELECT x FROM t ORDER BY x")).code, 0);
  const reversed = await sql("--candidate-sql", "SELECT x FROM t ORDER BY x DESC");
  assert.deepEqual([reversed.code, JSON.parse(reversed.stdout).reason], [1, "mismatch"]);
  assert.equal((await sql("--candidate-value", "1 and 2")).code, 0);
  assert.equal((await sql()).code, 2);
  const missing = await runCli(["verify", "sql", "--db", join(dir, "nope.sqlite"), "--gold-sql", "SELECT 1", "--candidate-value", "1"]);
  assert.deepEqual([missing.code, /--db: .*nope\.sqlite does not exist/.test(missing.stderr)], [2, true]);

  const gold = join(dir, "gold.diff");
  const candidate = join(dir, "candidate.diff");
  writeFileSync(gold, "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
  writeFileSync(candidate, "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -3,1 +3,1 @@\n-a\n+b\n");
  const same = await runCli(["verify", "patch", "--patch", candidate, "--gold-patch", gold]);
  assert.deepEqual([same.code, JSON.parse(same.stdout).reason], [0, "patch-match"]);
  const neither = await runCli(["verify", "patch", "--patch", candidate]);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /give --gold-patch, or --repo and --test-cmd/);
});

test("acc verify samples: each sample's own answer, or candidates from a file; one verdict per line; bad candidate files name file and line", async () => {
  const dir = tempDir();
  const samples = [itemSample(1), itemSample(2), itemSample(3, "swe", { gold_patch: "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n" })];
  const input = writeSamples(dir, samples, ["not json"]);
  const own = join(dir, "own.jsonl");
  const result = await runCli(["verify", "samples", input, "-o", own, "-q"]);
  assert.equal(result.code, 0, result.stderr);
  const verdicts = jsonLines<SampleVerdict>(readFileSync(own, "utf8"));
  // the agent's answers ("It costs 3 EUR.") against the ground truth ("3 EUR"): 1 number each, same number
  assert.deepEqual(
    verdicts.map((v) => [v.line, v.sample_id, v.reference, v.pass, v.reason]),
    [
      [1, "sample-0001", "qa:ground_truth", true, "numeric"],
      [2, "sample-0002", "qa:ground_truth", true, "numeric"],
      [3, "sample-0003", "patch-gold", false, "patch-differs"],
      [4, null, null, false, "invalid-sample"],
    ],
  );
  assert.match(result.stderr, /search\s+2\s+2\s+100\.0%\s+numeric:2/);
  assert.match(result.stderr, /read 4 = passed 2 \+ failed 2 \(invalid lines 1\)/);

  const answers = join(dir, "answers.jsonl");
  writeFileSync(answers, [{ id: "sample-0001", answer: "4 EUR" }, { sample_id: "sample-0003", answer: "--- a/f\n+++ b/f\n@@ -9 +9 @@\n-a\n+b\n" }, { id: "other", answer: "x" }].map((a) => JSON.stringify(a)).join("\n"));
  const given = join(dir, "given.jsonl");
  const withAnswers = await runCli(["verify", "samples", input, "--answers", answers, "-o", given, "-q"]);
  assert.equal(withAnswers.code, 0, withAnswers.stderr);
  assert.deepEqual(
    jsonLines<SampleVerdict>(readFileSync(given, "utf8")).map((v) => [v.sample_id, v.pass, v.reason]),
    [
      ["sample-0001", false, "mismatch"],
      ["sample-0002", false, "no-candidate"],
      ["sample-0003", true, "patch-match"],
      [null, false, "invalid-sample"],
    ],
  );
  assert.match(withAnswers.stderr, /1 answers match no sample/);

  writeFileSync(answers, `${JSON.stringify({ id: "sample-0001", answer: "3" })}\n{"id": 5}\n`);
  const broken = await runCli(["verify", "samples", input, "--answers", answers, "-o", given, "-q"]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, new RegExp(`${answers.replaceAll("/", "\\/")}:2: expected an object with a string "id" or "sample_id"`));
});
