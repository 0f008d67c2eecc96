import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { SqliteProcesses } from "../../src/run/sqlite-process.js";
import { DEFAULT_QA_OPTIONS } from "../../src/verify/qa.js";
import { canonicalCell, compareResults, hasTopLevelOrderBy, SqlVerifier } from "../../src/verify/sql.js";
import { tempDir } from "../helpers/collect.js";

function shopDb(): string {
  const path = join(tempDir(), "shop.sqlite");
  const db = new Database(path);
  db.exec(`
    CREATE TABLE stores (id INTEGER PRIMARY KEY, city TEXT, revenue REAL);
    INSERT INTO stores VALUES (1, 'Lyon', 1116.5), (2, 'Porto', 463), (3, 'Leipzig', NULL), (4, 'Porto', 10);
  `);
  db.close();
  return path;
}

const runner = new SqliteProcesses(2);
after(() => runner.close());
const db = shopDb();
const verifier = new SqlVerifier(runner, 5_000, DEFAULT_QA_OPTIONS);

test("sql: ORDER BY counts only at the top level, never inside strings, comments or subqueries", () => {
  assert.equal(hasTopLevelOrderBy("SELECT city FROM stores ORDER BY id"), true);
  assert.equal(hasTopLevelOrderBy("select city from stores order\n  by id limit 1"), true);
  assert.equal(hasTopLevelOrderBy("SELECT city FROM (SELECT * FROM stores ORDER BY id LIMIT 2)"), false);
  assert.equal(hasTopLevelOrderBy("SELECT 'order by' AS x, \"order by\" FROM t -- order by x"), false);
  assert.equal(hasTopLevelOrderBy("SELECT x FROM t /* ORDER BY y */ WHERE a IN (SELECT b FROM u ORDER BY b)"), false);
  assert.equal(hasTopLevelOrderBy("SELECT x FROM t WHERE s = 'it''s' ORDER BY x"), true);
});

test("sql: results compare as multisets of rows; in order only when asked; integers and floats by value", () => {
  const gold = [["Porto", 2], ["Lyon", 1], ["Porto", 2]];
  assert.equal(compareResults([["Porto", 2], ["Porto", 2], ["Lyon", 1]], gold, false).reason, "result-match");
  const lostDuplicate = compareResults([["Porto", 2], ["Lyon", 1]], gold, false);
  assert.equal(lostDuplicate.pass, false);
  assert.match(lostDuplicate.detail, /2 rows, the gold 3; 1 gold rows missing, e.g. \("Porto", 2\)/);
  const ordered = compareResults([["Porto", 2], ["Porto", 2], ["Lyon", 1]], gold, true);
  assert.equal(ordered.pass, false);
  assert.match(ordered.detail, /the right rows in the wrong order \(the gold has ORDER BY\); row 2: \("Porto", 2\) vs gold \("Lyon", 1\)/);
  assert.equal(compareResults([[1.0, "a"]], [[1, "a"]], true).pass, true);
  assert.equal(compareResults([[0.1 + 0.2]], [[0.3]], false).pass, true, "floats equal to 12 significant digits");
  assert.equal(compareResults([["1"]], [[1]], false).pass, false, "text '1' is not the integer 1");
  assert.match(compareResults([["a", 1]], [["a"]], false).detail, /2 columns, the gold 1/);
  assert.equal(canonicalCell(new Uint8Array([1, 255])), "x'01ff'");
  assert.equal(compareResults([], [], true).pass, true);
});

test("sql: candidate and gold queries run on the database opened read-only", async () => {
  const same = await verifier.verify({ db, goldSql: "SELECT city FROM stores WHERE revenue > 100", candidateSql: "SELECT city FROM stores WHERE revenue >= 463 ORDER BY city DESC" });
  assert.equal(same.reason, "result-match");
  const order = await verifier.verify({ db, goldSql: "SELECT city FROM stores ORDER BY revenue DESC", candidateSql: "SELECT city FROM stores ORDER BY id" });
  assert.equal(order.pass, false);
  const write = await verifier.verify({ db, goldSql: "SELECT 1", candidateSql: "DELETE FROM stores" });
  assert.equal(write.reason, "not-a-query");
  const sneaky = await verifier.verify({ db, goldSql: "SELECT 1", candidateSql: "SELECT 1; DELETE FROM stores" });
  assert.equal(sneaky.reason, "not-a-query");
  const broken = await verifier.verify({ db, goldSql: "SELECT 1", candidateSql: "SELECT nope FROM stores" });
  assert.deepEqual([broken.reason, broken.detail], ["sql-error", "the candidate query: no such column: nope"]);
  const badGold = await verifier.verify({ db, goldSql: "SELECT * FROM missing", candidateSql: "SELECT 1" });
  assert.equal(badGold.reason, "gold-sql-error");
  const check = new Database(db, { readonly: true });
  assert.equal((check.prepare("SELECT count(*) AS n FROM stores").get() as { n: number }).n, 4, "nothing was deleted");
  check.close();
});

test("sql: a runaway query is killed at its time limit and the runner goes on with a fresh process", async () => {
  const fast = new SqlVerifier(runner, 400, DEFAULT_QA_OPTIONS);
  const forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  const started = Date.now();
  const verdict = await fast.verify({ db, goldSql: "SELECT 2", candidateSql: forever });
  const elapsed = Date.now() - started;
  assert.deepEqual([verdict.pass, verdict.reason], [false, "sql-timeout"]);
  assert.match(verdict.detail, /the candidate query: the statement ran past 400 ms and was stopped/);
  assert.ok(elapsed < 5_000, `killed promptly (${elapsed} ms)`);
  const next = await fast.verify({ db, goldSql: "SELECT count(*) FROM stores", candidateSql: "SELECT 4" });
  assert.equal(next.reason, "result-match");
});

test("sql: a value answer must state every value of the gold result, at the precision it was written", async () => {
  const goldSql = "SELECT city, revenue FROM stores WHERE id = 1";
  const value = (candidateValue: string) => verifier.verify({ db, goldSql, candidateValue });
  assert.equal((await value("Lyon, with 1,116.5 in revenue")).reason, "value-match");
  assert.equal((await value("Lyon: about 1117")).pass, true, "1117 is 1116.5 rounded to units");
  assert.equal((await value("Lyon: about 1,116.4")).pass, false);
  const partial = await value("Lyon");
  assert.equal(partial.pass, false);
  assert.match(partial.detail, /1 of 2 gold values not in the answer, e.g. 1116\.5/);
  assert.equal((await verifier.verify({ db, goldSql: "SELECT city FROM stores WHERE id = 3", candidateValue: "Leipzig" })).pass, true);
  assert.equal((await verifier.verify({ db, goldSql: "SELECT city FROM stores WHERE id > 9", candidateValue: "none" })).pass, false);
});

test("sql: double-quoted string literals run as SQLite's default build reads them; names stay names", async () => {
  // Spider's gold queries: WHERE Airline = "JetBlue Airways"
  const dqs = await verifier.verify({ db, goldSql: 'SELECT id FROM stores WHERE city = "Porto"', candidateSql: "SELECT id FROM stores WHERE city = 'Porto'" });
  assert.equal(dqs.reason, "result-match");
  const both = await verifier.verify({ db, goldSql: 'SELECT "city" FROM stores WHERE "city" = "Lyon" OR city = "Leipzig"', candidateSql: "SELECT city FROM stores WHERE id IN (1, 3)" });
  assert.equal(both.reason, "result-match", "a quoted column name is still the column");
  // the rewrite happens token by token: a quote inside a literal or comment is left alone
  const inside = await verifier.verify({ db, goldSql: `SELECT 'say "Porto"' -- "Porto"\n`, candidateSql: `SELECT 'say "Porto"'` });
  assert.equal(inside.reason, "result-match");
  const wrong = await verifier.verify({ db, goldSql: 'SELECT id FROM stores WHERE city = "Porto"', candidateSql: 'SELECT id FROM stores WHERE city = "Lyon"' });
  assert.equal(wrong.pass, false);
});

test("sql: the gold's columns in another order pass unless columnOrder is exact; values must still pair up", async () => {
  const goldSql = "SELECT city, revenue FROM stores WHERE revenue IS NOT NULL";
  assert.equal((await verifier.verify({ db, goldSql, candidateSql: "SELECT revenue, city FROM stores WHERE revenue > 0" })).pass, true);
  const strict = new SqlVerifier(runner, 5_000, DEFAULT_QA_OPTIONS, { columnOrder: "exact" });
  assert.equal((await strict.verify({ db, goldSql, candidateSql: "SELECT revenue, city FROM stores WHERE revenue > 0" })).pass, false);
  // each column holds the gold's values, but the rows pair them differently: not a permutation of the gold
  assert.equal(compareResults([["a", 2], ["b", 1]], [["a", 1], ["b", 2]], false).pass, false);
  assert.equal(compareResults([[2, "a"], [1, "b"]], [["a", 2], ["b", 1]], false).pass, true);
  assert.equal(compareResults([[2, "a"], [1, "b"]], [["a", 2], ["b", 1]], false, { columnOrder: "exact" }).pass, false);
  assert.equal(compareResults([[1, 1, 2]], [[1, 2, 1]], true).pass, true, "equal columns: any pairing that works");
});

test("sql: rows tied on the gold's ORDER BY keys may come in any order among themselves, not across keys", async () => {
  const ties = join(tempDir(), "ties.sqlite");
  const t = new Database(ties);
  t.exec(`CREATE TABLE s (name TEXT, age INTEGER, pts REAL);
    INSERT INTO s VALUES ('ann', 30, 1), ('bob', 25, 2), ('cid', 30, 3), ('dan', 20, 4), ('eve', 25, 5);`);
  t.close();
  const goldSql = "SELECT name FROM s ORDER BY age DESC";
  const tiedSwapped = await verifier.verify({ db: ties, goldSql, candidateSql: "SELECT name FROM s ORDER BY age DESC, name DESC" });
  assert.equal(tiedSwapped.pass, true, tiedSwapped.detail);
  assert.match(tiedSwapped.detail, /tied on the ORDER BY keys/);
  const crossed = await verifier.verify({ db: ties, goldSql, candidateSql: "SELECT name FROM s ORDER BY age" });
  assert.equal(crossed.pass, false);
  // keys named by alias, by position, by an expression not in the result; an aggregate key
  for (const candidateSql of ["SELECT name FROM s ORDER BY age DESC, pts DESC"]) {
    for (const gold of ["SELECT name, age AS a FROM s ORDER BY a DESC", "SELECT name, age FROM s ORDER BY 2 DESC", "SELECT name FROM s ORDER BY age * 2 DESC"]) {
      const candidate = gold.includes(", age") ? candidateSql.replace("SELECT name", "SELECT name, age") : candidateSql;
      assert.equal((await verifier.verify({ db: ties, goldSql: gold, candidateSql: candidate })).pass, true, gold);
    }
  }
  const grouped = await verifier.verify({ db: ties, goldSql: "SELECT age, count(*) FROM s GROUP BY age ORDER BY count(*) DESC", candidateSql: "SELECT age, count(*) FROM s GROUP BY age ORDER BY count(*) DESC, age" });
  assert.equal(grouped.pass, true, grouped.detail);
  // a LIMIT that cuts through a tie keeps the gold's choice: another tied row is another row
  const limited = await verifier.verify({ db: ties, goldSql: "SELECT name FROM s ORDER BY age DESC LIMIT 1", candidateSql: "SELECT name FROM s ORDER BY age DESC, name DESC LIMIT 1" });
  assert.equal(limited.pass, false);
});
