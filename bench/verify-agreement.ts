// npm run bench:verify — how often acc's sql and qa verifiers agree with the official evaluators (the Spider
// test-suite evaluator's execution match, DISTINCT kept; HotpotQA's answer EM/F1) on real prediction/gold
// pairs. Reads the pairs built by bench/verify/prepare.py and the evaluators from where they were fetched:
//
//   ACC_VERIFY_DATA=/path/out ACC_SPIDER_EVAL=/path/test-suite-sql-eval ACC_HOTPOT_EVAL=/path/hotpot_evaluate_v1.py \
//     npm run bench:verify [-- --record test/verify/agreement]
//
// Prints agreement per verifier and every disagreement grouped by acc's verdict; with --record, writes the
// CI subset's official labels (test/verify/agreement/*.jsonl). See docs/commands/verify.md.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SqliteProcesses } from "../src/run/sqlite-process.js";
import { DEFAULT_QA_OPTIONS, verifyQa } from "../src/verify/qa.js";
import { SqlVerifier } from "../src/verify/sql.js";
import type { Verdict } from "../src/verify/types.js";

interface SpiderPair {
  id: string;
  db: string;
  gold: string;
  pred: string;
  source: string;
}
interface HotpotPair {
  id: string;
  gold: string;
  pred: string;
  source: string;
}

const data = process.env["ACC_VERIFY_DATA"];
const spiderEval = process.env["ACC_SPIDER_EVAL"];
const hotpotEval = process.env["ACC_HOTPOT_EVAL"];
const recordAt = process.argv.includes("--record") ? process.argv[process.argv.indexOf("--record") + 1] : undefined;
/** Databases whose tables the rebuilt dump left empty: every query agrees on nothing there. */
const EMPTY_DATABASES = new Set(["wta_1"]);

function python(): string | undefined {
  for (const candidate of [join(import.meta.dirname, "../.venv-checks/bin/python"), "python3", "/usr/bin/python3"]) {
    const probe = spawnSync(candidate, ["-c", "import sqlparse, ujson, tqdm"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

function official<T>(args: string[], pairs: unknown[]): Map<string, T> {
  const run = spawnSync(py!, [join(import.meta.dirname, "verify/official.py"), ...args], {
    input: pairs.map((p) => JSON.stringify(p)).join("\n"),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`official evaluator failed: ${run.stderr.slice(-2000)}`);
  return new Map(run.stdout.trim().split("\n").map((line) => {
    const row = JSON.parse(line) as { id: string } & T;
    return [row.id, row];
  }));
}

const readPairs = <T>(path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as T);

function summarise(name: string, results: { id: string; acc: Verdict; official: boolean; text: string }[]): void {
  const differ = results.filter((r) => r.acc.pass !== r.official);
  const agree = results.length - differ.length;
  const passes = results.filter((r) => r.official).length;
  console.log(`\n${name}: ${agree} of ${results.length} pairs agree (${((100 * agree) / results.length).toFixed(2)}%); the official passes ${passes}, acc ${results.filter((r) => r.acc.pass).length}`);
  const groups = new Map<string, typeof differ>();
  for (const r of differ) {
    const key = `${r.acc.pass ? "acc passes, official fails" : "acc fails, official passes"} — ${r.acc.reason}: ${r.acc.detail.replace(/\d+/g, "N").slice(0, 60)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rows] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${rows.length.toString().padStart(4)}  ${key}`);
    for (const row of rows.slice(0, 3)) console.log(`          ${row.id}: ${row.text.slice(0, 220)}`);
  }
}

const py = python();
if (!data || !spiderEval || !hotpotEval || !existsSync(data)) {
  console.log("bench:verify skipped: set ACC_VERIFY_DATA (built by bench/verify/prepare.py), ACC_SPIDER_EVAL and ACC_HOTPOT_EVAL (see docs/commands/verify.md)");
} else if (!py) {
  console.log("bench:verify skipped: no python3 with sqlparse, ujson and tqdm (the official evaluators' imports; apt-get install python3-sqlparse python3-ujson python3-tqdm)");
} else {
  // SQL
  const spider = readPairs<SpiderPair>(join(data, "spider/pairs.jsonl")).filter((p) => !EMPTY_DATABASES.has(p.db));
  const dbDir = join(data, "spider/database");
  const labels = official<{ official: number | "gold-error" }>(["spider", spiderEval, dbDir], spider);
  const runner = new SqliteProcesses(2);
  const verifier = new SqlVerifier(runner, 30_000, DEFAULT_QA_OPTIONS);
  const sqlResults: { id: string; acc: Verdict; official: boolean; text: string }[] = [];
  let goldErrors = 0;
  for (const pair of spider) {
    const label = labels.get(pair.id)!.official;
    if (label === "gold-error") {
      goldErrors++;
      continue;
    }
    const acc = await verifier.verify({ db: join(dbDir, pair.db, `${pair.db}.sqlite`), goldSql: pair.gold, candidateSql: pair.pred });
    sqlResults.push({ id: pair.id, acc, official: label === 1, text: `[${pair.db}] gold: ${pair.gold} | pred: ${pair.pred} | ${acc.detail}` });
  }
  await runner.close();
  console.log(`Spider: ${spider.length} pairs on ${new Set(spider.map((p) => p.db)).size} databases; ${goldErrors} whose gold fails in the official evaluator left out`);
  summarise("sql vs the test-suite evaluator's execution match (DISTINCT kept)", sqlResults);

  // QA
  const hotpot = readPairs<HotpotPair>(join(data, "hotpot/pairs.jsonl"));
  const scores = official<{ em: number; f1: number }>(["hotpot", hotpotEval], hotpot);
  const qaResults = hotpot.map((pair) => {
    const score = scores.get(pair.id)!;
    const acc = verifyQa(pair.pred, pair.gold, DEFAULT_QA_OPTIONS);
    // the official side passes what acc's rules would: exact match, or token F1 at the same threshold
    const passes = score.em === 1 || score.f1 >= DEFAULT_QA_OPTIONS.f1Threshold;
    return { id: pair.id, acc, official: passes, text: `pred ${JSON.stringify(pair.pred)} | gold ${JSON.stringify(pair.gold)} | official EM ${score.em} F1 ${score.f1.toFixed(2)}` };
  });
  summarise(`qa vs HotpotQA's official EM / F1 ≥ ${DEFAULT_QA_OPTIONS.f1Threshold}`, qaResults);

  if (recordAt) {
    // the CI subset: small databases and the first pairs of each source, with the official labels
    const subsetDbs = new Set(["concert_singer", "pets_1", "poker_player", "singer", "orchestra", "battle_death", "museum_visit", "course_teach", "flight_2", "tvshow"]);
    const sqlSubset = spider.filter((p) => subsetDbs.has(p.db) && labels.get(p.id)!.official !== "gold-error").filter((_, i) => i % 21 === 0);
    writeFileSync(join(recordAt, "spider-pairs.jsonl"), sqlSubset.map((p) => JSON.stringify({ ...p, official: labels.get(p.id)!.official })).join("\n") + "\n");
    const qaSubset = hotpot.filter((p) => p.source.startsWith("FireAct")).filter((_, i) => i % 5 === 0);
    writeFileSync(join(recordAt, "hotpot-pairs.jsonl"), qaSubset.map((p) => JSON.stringify({ ...p, ...scores.get(p.id)!, id: p.id })).join("\n") + "\n");
    console.log(`\nrecorded ${sqlSubset.length} SQL and ${qaSubset.length} QA pairs with official labels in ${recordAt}`);
  }
}
