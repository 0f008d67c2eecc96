import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { createEnvironment, DEFAULT_ENV_SETTINGS, type EnvSession, type Environment, queryOf } from "../../src/envs/index.js";
import { buildExamples } from "../helpers/examples.js";

let db: string;
let env: Environment;
let session: EnvSession;
const task = { id: "t", question: "How many books?", gold_sql: "SELECT count(*) FROM books" };

before(async () => {
  db = buildExamples().db;
  env = await createEnvironment({ kind: "sql", path: db }, { ...DEFAULT_ENV_SETTINGS, maxChars: 400, sqlTimeoutMs: 10_000, sqlMaxRows: 3, jobs: 1 });
  session = await env.open(task);
});
after(() => env.close());

const digest = () => createHash("sha256").update(readFileSync(db)).digest("hex");

test("list_tables, describe_table and run_sql show the database; results are cut at the row and character caps", async () => {
  assert.deepEqual(await session.call("list_tables", {}), { content: "authors\nbooks\nsales\nstores", isError: false });
  const described = await session.call("describe_table", { table: "books" });
  assert.equal(described.isError, false);
  assert.match(described.content, /^table books: 10 rows\ncolumns:\n {2}id INTEGER primary key\n {2}title TEXT not null\n {2}author_id INTEGER not null, references authors\(id\)/);
  assert.match(described.content, /example rows:\n {2}id \| title \| author_id \| year \| price_eur\n {2}1 \| A Wizard of Earthsea \| 1 \| 1968 \| 9\.9\n/);
  assert.deepEqual(await session.call("describe_table", { table: "nope" }), { content: 'no table or view named "nope" (list_tables shows them)', isError: true });

  const few = await session.call("run_sql", { sql: "SELECT id, title FROM books ORDER BY id" });
  assert.equal(few.content, "id | title\n1 | A Wizard of Earthsea\n2 | The Dispossessed\n3 | The Left Hand of Darkness\n(first 3 rows shown; the result has more)");
  const wide = await session.call("run_sql", { sql: "SELECT group_concat(title, ' / ') FROM books, stores" });
  assert.match(wide.content, /…\n\(1 row\)$/, "a long cell is cut in the child process");
  const long = await session.call("run_sql", { sql: "SELECT printf('%.150c', 'x') AS a, printf('%.150c', 'y') AS b FROM books" });
  assert.match(long.content, /\n\[… \d+ more characters not shown\]$/);
  assert.equal(long.content.split("\n[…")[0]!.length, 400);
  assert.deepEqual(await session.call("run_sql", {}), { content: 'run_sql: argument "sql" must be a string, got nothing', isError: true });
  assert.match((await session.call("run_sql", { sql: "SELEC 1" })).content, /^not-a-query: only queries are run \(SELECT, VALUES, WITH … SELECT, EXPLAIN, read-only PRAGMAs\); this statement starts with SELEC$/);
  assert.match((await session.call("run_sql", { sql: "SELECT nope FROM books" })).content, /^sql-error: no such column: nope/);
});

test("writes are refused and the database file is unchanged: DROP TABLE, UPDATE, INSERT, ATTACH, PRAGMA writes, several statements", async () => {
  const before = digest();
  for (const sql of [
    "DROP TABLE books",
    "UPDATE books SET price_eur = 0",
    "INSERT INTO stores VALUES (9, 'Nowhere', 2030)",
    "DELETE FROM sales",
    "CREATE TABLE x (a)",
    `ATTACH DATABASE '${db}.copy' AS copy`,
    "PRAGMA writable_schema = 1",
    "SELECT 1; DROP TABLE books",
    "WITH x AS (SELECT 1) DELETE FROM sales",
  ]) {
    const result = await session.call("run_sql", { sql });
    assert.equal(result.isError, true, sql);
    assert.match(result.content, /^not-a-query: /, sql);
  }
  // UPDATE … RETURNING returns rows: the read-only connection refuses it anyway
  const returning = await session.call("run_sql", { sql: "UPDATE books SET price_eur = 0 RETURNING id" });
  assert.equal(returning.isError, true);
  assert.equal(digest(), before);
  assert.equal((await session.call("run_sql", { sql: "SELECT count(*) AS n FROM books" })).content, "n\n10\n(1 row)");
});

test("a statement that runs past the time limit is stopped (its process killed) and the next one runs in a fresh process", async () => {
  const quick = await createEnvironment({ kind: "sql", path: db }, { ...DEFAULT_ENV_SETTINGS, sqlTimeoutMs: 1500, jobs: 1 });
  try {
    const own = await quick.open(task);
    const started = Date.now();
    const slow = await own.call("run_sql", { sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n" });
    assert.deepEqual(slow, { content: "sql-timeout: the statement ran past 1500 ms and was stopped", isError: true });
    assert.ok(Date.now() - started < 15_000);
    assert.equal((await own.call("run_sql", { sql: "SELECT 2 AS two" })).content, "two\n2\n(1 row)");
  } finally {
    await quick.close();
  }
});

test("the reward is the sql verifier's execution match; a value answer is checked against the gold result", async () => {
  const right = await session.reward({ answer: "```sql\nSELECT count(id) FROM books\n```\nTen books." });
  assert.deepEqual([right.reward, right.success, right.reason, right.submittedSql], [1, true, "result-match", "SELECT count(id) FROM books"]);
  const wrong = await session.reward({ answer: "SELECT count(*) FROM authors" });
  assert.deepEqual([wrong.reward, wrong.reason], [0, "mismatch"]);
  const value = await session.reward({ answer: "There are 10 books." });
  assert.deepEqual([value.reward, value.reason, value.submittedSql], [1, "value-match", undefined]);
  const writing = await session.reward({ answer: "```sql\nDELETE FROM books\n```" });
  assert.equal(writing.reward, 0);
  assert.equal(queryOf("text\n```sql\nSELECT 1\n```\nmore\n```sql\nSELECT 2\n```"), "SELECT 2", "the last sql block is the answer");
});

test("tasks need a gold query or answer, and their own database must exist", () => {
  assert.equal(env.checkTask({ id: "a", question: "q" }), "an sql task needs gold_sql or answer");
  assert.equal(env.checkTask({ id: "a", question: "q", answer: "1", db: "/nope.sqlite" }), "database /nope.sqlite does not exist");
  assert.equal(env.checkTask(task), undefined);
});
