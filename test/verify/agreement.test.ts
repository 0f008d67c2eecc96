// A small real subset of `npm run bench:verify`: Spider dev predictions and HotpotQA predictions with the
// labels the official evaluators gave them (recorded by the bench; sources in agreement/SOURCES.md).
// acc's verifiers must agree with them except in the documented difference classes, pair by pair.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { SqliteProcesses } from "../../src/run/sqlite-process.js";
import { DEFAULT_QA_OPTIONS, verifyQa } from "../../src/verify/qa.js";
import { SqlVerifier } from "../../src/verify/sql.js";
import { tempDir } from "../helpers/collect.js";

const folder = join(import.meta.dirname, "agreement");
const lines = <T>(name: string) => readFileSync(join(folder, name), "utf8").trim().split("\n").map((l) => JSON.parse(l) as T);

/** Pairs where acc and the official evaluator differ on purpose (docs/commands/verify.md lists the classes). */
const KNOWN = JSON.parse(readFileSync(join(folder, "differences.json"), "utf8")) as Record<string, string>;

test("sql agrees with the Spider test-suite evaluator's execution match on real dev predictions", async () => {
  const dir = tempDir();
  const dbs = new Map<string, string>();
  for (const section of readFileSync(join(folder, "spider-dbs.sql"), "utf8").split(/^-- database: /m).slice(1)) {
    const name = section.slice(0, section.indexOf("\n"));
    const path = join(dir, `${name}.sqlite`);
    const db = new Database(path);
    db.exec(section.slice(section.indexOf("\n") + 1));
    db.close();
    dbs.set(name, path);
  }
  const pairs = lines<{ id: string; db: string; gold: string; pred: string; official: number }>("spider-pairs.jsonl");
  assert.ok(pairs.length >= 100, `${pairs.length} pairs`);
  assert.ok(pairs.some((p) => p.official === 1) && pairs.some((p) => p.official === 0));
  assert.ok(pairs.filter((p) => /"[^"]*"/.test(p.gold)).length >= 10, "double-quoted literals in the gold queries");
  const runner = new SqliteProcesses(2);
  after(() => runner.close());
  const verifier = new SqlVerifier(runner, 30_000, DEFAULT_QA_OPTIONS);
  const differ: string[] = [];
  for (const pair of pairs) {
    const verdict = await verifier.verify({ db: dbs.get(pair.db)!, goldSql: pair.gold, candidateSql: pair.pred });
    if (verdict.pass !== (pair.official === 1) && !KNOWN[pair.id]) differ.push(`${pair.id}: acc ${verdict.reason} (${verdict.detail}); official ${pair.official}`);
  }
  assert.deepEqual(differ, []);
});

test("qa agrees with HotpotQA's official EM / F1 on real predictions, except where the official code is wrong", () => {
  const pairs = lines<{ id: string; gold: string; pred: string; em: number; f1: number }>("hotpot-pairs.jsonl");
  assert.ok(pairs.length >= 250, `${pairs.length} pairs`);
  const differ: string[] = [];
  let known = 0;
  for (const pair of pairs) {
    const verdict = verifyQa(pair.pred, pair.gold, DEFAULT_QA_OPTIONS);
    const official = pair.em === 1 || pair.f1 >= DEFAULT_QA_OPTIONS.f1Threshold;
    if (verdict.pass === official) continue;
    if (KNOWN[pair.id]) known++;
    else differ.push(`${pair.id}: ${JSON.stringify(pair.pred)} / ${JSON.stringify(pair.gold)}: acc ${verdict.reason}, official EM ${pair.em} F1 ${pair.f1}`);
  }
  assert.deepEqual(differ, []);
  assert.ok(known / pairs.length < 0.02, `${known} known differences`);
});
