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
    // starting a process under tsx takes about 300 ms (more on a busy machine); the query itself microseconds
    const reply = await processes.run({ kind: "query", db: numbersDb(), sql: "SELECT count(*) FROM n", maxRows: 10 }, 100);
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
    assert.equal(returning.ok, false);
    assert.match(returning.ok ? "" : returning.message, /readonly|read-only/i);
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
