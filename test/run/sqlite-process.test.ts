import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { SqliteProcesses } from "../../src/run/sqlite-process.js";
import { tempDir } from "../helpers/collect.js";

function numbersDb(): string {
  const path = join(tempDir(), "numbers.sqlite");
  const db = new Database(path);
  db.exec("CREATE TABLE n (i INTEGER, note TEXT, data BLOB); INSERT INTO n VALUES (1, 'one', x'01ff'), (2, 'two', NULL), (3, 'three', NULL);");
  db.close();
  return path;
}

const FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

/** Live child processes of this test process (`ps` itself left out; tsx has one of its own). */
function children(): string[] {
  return execFileSync("ps", ["--ppid", String(process.pid), "-o", "pid=,comm="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/\bps$/.test(line));
}

test("sqlite processes: a statement's time limit counts from when its process is up, not from its start", async () => {
  const processes = new SqliteProcesses(1);
  try {
    // starting a process under tsx takes about 300 ms (more on a busy machine); opening the connection and the query a few ms
    const reply = await processes.run({ kind: "query", db: numbersDb(), sql: "SELECT count(*) FROM n", maxRows: 10 }, 250);
    assert.deepEqual(reply, { id: 0, ok: true, columns: ["count(*)"], rows: [[3]], more: false });
  } finally {
    await processes.close();
  }
});

test("sqlite processes: rows past maxRows set `more`; cells are cut only when asked; writes are refused", async () => {
  const db = numbersDb();
  const processes = new SqliteProcesses(1);
  try {
    const raw = await processes.run({ kind: "query", db, sql: "SELECT i, note, data FROM n ORDER BY i", maxRows: 2 }, 10_000);
    assert.ok(raw.ok && "rows" in raw);
    assert.equal(raw.more, true);
    assert.deepEqual(raw.rows.map((row) => [row[0], row[1]]), [[1, "one"], [2, "two"]]);
    assert.deepEqual([...(raw.rows[0]![2] as Uint8Array)], [1, 255], "a blob comes back as its bytes");
    const cut = await processes.run({ kind: "query", db, sql: "SELECT note, data FROM n WHERE i = 3 OR i = 1 ORDER BY i", maxRows: 5, maxCellChars: 3 }, 10_000);
    assert.ok(cut.ok && "rows" in cut);
    assert.deepEqual([cut.rows, cut.more], [[["one", "<blob, 2 bytes>"], ["thr…", null]], false]);
    const write = await processes.run({ kind: "query", db, sql: "DELETE FROM n", maxRows: 5 }, 10_000);
    assert.deepEqual([write.ok, !write.ok && write.code], [false, "not-a-query"]);
    const returning = await processes.run({ kind: "query", db, sql: "UPDATE n SET i = 9 RETURNING i", maxRows: 5 }, 10_000);
    assert.deepEqual([returning.ok, !returning.ok && returning.code], [false, "not-a-query"], "refused before it is prepared, although it returns rows");
  } finally {
    await processes.close();
  }
  const check = new Database(db, { readonly: true });
  assert.equal(check.prepare("SELECT sum(i) FROM n").pluck().get(), 6, "the file is unchanged");
  check.close();
});

test("sqlite processes: a process killed at its time limit has exited once close() returns", async () => {
  const db = numbersDb();
  const before = children();
  const processes = new SqliteProcesses(1);
  const slow = await processes.run({ kind: "query", db, sql: FOREVER, maxRows: 1 }, 300);
  assert.deepEqual(slow, { id: 0, ok: false, code: "sql-timeout", message: "the statement ran past 300 ms and was stopped" });
  await processes.close();
  assert.deepEqual(children(), before);
  await assert.rejects(processes.run({ kind: "tables", db }, 1_000), /the SQLite processes are closed/);
});

test("sqlite processes: every statement gets a fresh connection, so nothing one statement sets reaches the next", async () => {
  const db = numbersDb();
  const processes = new SqliteProcesses(1);
  try {
    // temporary objects are refused; a table-valued pragma shows the connection's schemas
    const schemas = await processes.run({ kind: "query", db, sql: "SELECT name FROM pragma_database_list ORDER BY seq", maxRows: 10 }, 10_000);
    assert.deepEqual(schemas.ok && "rows" in schemas && schemas.rows, [["main"]]);
    for (let round = 0; round < 2; round++) {
      const settings = await processes.run({ kind: "query", db, sql: "SELECT * FROM pragma_query_only, pragma_trusted_schema, pragma_temp_store", maxRows: 1 }, 10_000);
      assert.deepEqual(settings.ok && "rows" in settings && settings.rows, [[1, 0, 2]], "query_only on, the schema's functions untrusted, temporary data in memory");
    }
  } finally {
    await processes.close();
  }
});

test("sqlite processes: a statement past the memory limit fails (or its process dies) and the next one runs", async () => {
  const db = numbersDb();
  const processes = new SqliteProcesses(1, 128 * 1024 * 1024);
  try {
    const hog = await processes.run({ kind: "query", db, sql: "SELECT length(printf('%.*c', 400000000, 'x'))", maxRows: 1 }, 20_000);
    assert.equal(hog.ok, false);
    assert.match(hog.ok ? "" : `${hog.code}: ${hog.message}`, /^sql-error: out of memory$|^process-died: .*128 MiB/);
    const after = await processes.run({ kind: "query", db, sql: "SELECT count(*) FROM n", maxRows: 1 }, 20_000);
    assert.deepEqual(after.ok && "rows" in after && after.rows, [[3]]);
  } finally {
    await processes.close();
  }
});

test("sqlite processes: a result past a quarter of the memory limit is refused in the process; cells cut to maxCellChars stay under it", async () => {
  const db = numbersDb();
  const processes = new SqliteProcesses(1, 256 * 1024 * 1024);
  // 20 rows of 4 MB strings: each row under the 64 MiB result limit, the first 17 together over it
  const sql = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20) SELECT printf('%.*c', 4000000, 'x') AS big FROM c";
  try {
    const whole = await processes.run({ kind: "query", db, sql, maxRows: 50 }, 60_000);
    assert.deepEqual(whole, { id: 0, ok: false, code: "result-too-large", message: "the first 17 rows hold more than the limit of 67108864 bytes for one result (strings count their length)" });
    const cut = await processes.run({ kind: "query", db, sql, maxRows: 50, maxCellChars: 10 }, 60_000);
    assert.deepEqual(cut.ok && "rows" in cut && [cut.rows.length, cut.rows[0]], [20, ["xxxxxxxxxx…"]]);
  } finally {
    await processes.close();
  }
});
