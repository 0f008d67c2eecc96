import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import fc from "fast-check";
import { classifyStatement, tokenizeStatements } from "../../src/run/sqlite-statement.js";

const SPIDER = join(import.meta.dirname, "../fixtures/sql/spider-dev-gold.sql");

test("every real query of the Spider dev set is classified a query (300 gold queries)", () => {
  const queries = readFileSync(SPIDER, "utf8").split("\n").filter((line) => line.trim() !== "");
  assert.equal(queries.length, 300);
  const refused = queries.filter((sql) => !classifyStatement(sql).ok);
  assert.deepEqual(refused, []);
});

test("queries in every lexical shape SQLite accepts are classified queries", () => {
  for (const sql of [
    "SELECT ';' AS semicolon",
    "SELECT 1 -- ; DROP TABLE t",
    'SELECT "a;b" FROM t',
    "/* ; DELETE FROM t; */ SELECT 1",
    "SELECT 1;",
    "SELECT 1;;  ;\n-- trailing comment",
    "select[x]from[t]where`y`=x'00ff'",
    "WITH x(a) AS MATERIALIZED (SELECT 1), y AS NOT MATERIALIZED (SELECT 2) SELECT * FROM x, y",
    "WITH RECURSIVE c(n) AS (VALUES(1) UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c",
    "VALUES (1, 'a'), (2, 'b')",
    "EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = ?1 AND b = :b AND c = @c AND d = $d",
    "explain select 1e+5, .5, 0x1F, 'it''s'",
    "SELECT * FROM pragma_table_info('books')",
    "SELECT json_extract(j, '$.a') ->> 'b' FROM t",
    "SELECT 'ünïcödé', ñame FROM tablé",
  ]) {
    assert.deepEqual(classifyStatement(sql), { ok: true, kind: "query" }, sql);
  }
  for (const sql of ["PRAGMA table_info(books)", 'PRAGMA main.table_info("books")', "pragma foreign_key_list('sales')", "PRAGMA table_list", "PRAGMA user_version", "PRAGMA \"page_count\""]) {
    assert.deepEqual(classifyStatement(sql), { ok: true, kind: "pragma" }, sql);
  }
});

test("everything else is refused before it is prepared, with the reason", () => {
  const refusals: [string, RegExp][] = [
    ["PRAGMA query_only = 0", /PRAGMA query_only with an argument is not one of the read-only pragmas/],
    ["PRAGMA query_only(0)", /query_only with an argument/],
    ["PRAGMA reverse_unordered_selects = 1", /reverse_unordered_selects/],
    ["PRAGMA locking_mode = EXCLUSIVE", /locking_mode/],
    ["PRAGMA writable_schema", /writable_schema is not one of/],
    ["PRAGMA user_version = 3", /user_version with an argument/],
    ["PRAGMA user_version(3)", /user_version with an argument/],
    ["PRAGMA table_info(books) = 1", /table_info with an argument/],
    ["EXPLAIN PRAGMA query_only = 0", /EXPLAIN is run only for SELECT/],
    ["EXPLAIN QUERY PLAN DELETE FROM t", /EXPLAIN is run only for SELECT/],
    ["ATTACH DATABASE '/tmp/x.db' AS x", /starts with ATTACH/],
    ["VACUUM INTO '/tmp/copy.db'", /starts with VACUUM/],
    ["ANALYZE", /starts with ANALYZE/],
    ["REINDEX", /starts with REINDEX/],
    ["DETACH x", /starts with DETACH/],
    ["BEGIN EXCLUSIVE", /starts with BEGIN/],
    ["CREATE TEMP TABLE t AS SELECT 1", /starts with CREATE/],
    ["UPDATE t SET a = 1 RETURNING a", /starts with UPDATE/],
    ["WITH x AS (SELECT 1) DELETE FROM t", /before a SELECT or VALUES, not DELETE/],
    ["WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", /not INSERT/],
    ["WITH x AS (SELECT 1)", /before a SELECT or VALUES$/],
    ["SELECT 1; DROP TABLE t", /one statement at a time \(this text has 2\)/],
    ["SELECT 1; SELECT 2", /one statement at a time/],
    ["SELECT 'unterminated", /unterminated string/],
    ['SELECT "unterminated', /unterminated quoted identifier/],
    ["SELECT 1\0; DROP TABLE t", /NUL character/],
    ["  -- only a comment", /there is no statement/],
    ["SELEC 1", /starts with SELEC/],
  ];
  for (const [sql, reason] of refusals) {
    const verdict = classifyStatement(sql);
    assert.equal(verdict.ok, false, sql);
    assert.match(verdict.ok ? "" : verdict.reason, reason, sql);
  }
});

test("the tokenizer splits statements only at semicolons outside strings, identifiers and comments", () => {
  const statements = tokenizeStatements("SELECT 'a;b', \"c;d\", [e;f], `g;h` /* ; */ -- ;\n; SELECT 2");
  assert.equal(statements.length, 2);
  assert.deepEqual(statements[0]!.map((t) => t.kind), ["word", "string", "punct", "quoted", "punct", "quoted", "punct", "quoted"]);
});

// The property behind the classifier: whatever it lets through, preparing and running it changes nothing
// in the connection. Statements are built as a leading part (where the statement kind is decided) and a
// random tail, from fragments that include the hostile ones.
const FLAG_PRAGMAS = ["query_only", "reverse_unordered_selects", "foreign_keys", "recursive_triggers", "cell_size_check", "defer_foreign_keys", "user_version", "locking_mode", "journal_mode", "synchronous", "cache_size"];
const LEADS = ["SELECT", "WITH x AS (SELECT 1)", "EXPLAIN", "EXPLAIN QUERY PLAN", "EXPLAIN PRAGMA", "EXPLAIN QUERY PLAN PRAGMA", "PRAGMA", "PRAGMA main.", "/* c */ PRAGMA", "-- c\n PRAGMA", "VALUES", "ATTACH", "VACUUM", "ANALYZE", ";"];
const NAMES = [...FLAG_PRAGMAS, "table_info", "table_list", "\"query_only\"", "'locking_mode'", "x", "*", "1"];
const TAILS = ["= 0", "= 1", "(0)", "(1)", "= EXCLUSIVE", "(t)", "('t')", "DELETE FROM t", "INSERT INTO t VALUES (1)", "FROM t", ";", "; PRAGMA query_only = 0", "'a;b'", "/* ; */", "-- c\n", "(", ")", ",", "(SELECT 1)", "INTO ':memory:'", "':memory:' AS m"];

test("property: a statement the classifier lets through leaves the connection's settings and data as they were when prepared and run", () => {
  const fresh = () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE t (a); INSERT INTO t VALUES (1), (2)");
    return db;
  };
  const state = (db: Database.Database) =>
    JSON.stringify([FLAG_PRAGMAS.map((p) => db.pragma(p, { simple: true })), db.prepare("SELECT count(*) FROM t").pluck().get(), db.prepare("SELECT count(*) FROM pragma_database_list").pluck().get()]);
  const before = state(fresh());
  let allowed = 0;
  const statement = fc.tuple(fc.constantFrom(...LEADS), fc.constantFrom(...NAMES), fc.array(fc.constantFrom(...TAILS), { maxLength: 3 })).map(([lead, name, tail]) => [lead, name, ...tail].join(" "));
  fc.assert(
    fc.property(statement, (sql) => {
      if (!classifyStatement(sql).ok) return;
      allowed++;
      const db = fresh();
      try {
        const prepared = db.prepare(sql);
        if (prepared.reader) prepared.all();
      } catch {
        // a syntax error is fine: nothing ran
      }
      assert.equal(state(db), before, sql);
      db.close();
    }),
    { numRuns: 3000, seed: 12 },
  );
  assert.ok(allowed > 100, `only ${allowed} generated statements were allowed: the property was barely exercised`);
});
