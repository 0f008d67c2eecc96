// The attacker suite of the SQL environment: hostile agents (scripted through the test server) against a
// copy of the example database in a folder of its own. The database file must be byte-identical after
// every attack and its folder hold nothing else (no journal, WAL or attached file); files the attacks
// name in the canary folder must not appear; one episode's statements must not change another's results.
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { SqlEnvironment } from "../../src/envs/index.js";
import { tempDir } from "../helpers/collect.js";
import { exampleData } from "../rollout/harness.js";
import { type Attack, runAttacks, type Seen, type Step } from "./agents.js";
import { Canary } from "./canary.js";

const sql = (query: string): Step => ({ tool: "run_sql", args: { sql: query } });
const describe = (table: string): Step => ({ tool: "describe_table", args: { table } });
const refused = (seen: Seen, i: number, reason: RegExp) => {
  assert.equal(seen.results[i]!.isError, true, seen.results[i]!.content);
  assert.match(seen.results[i]!.content, reason);
};
const UNORDERED = "SELECT title FROM books";

const ATTACKS: Attack[] = [
  {
    name: "query-only-off-then-write",
    steps: [sql("PRAGMA query_only = 0"), sql("PRAGMA query_only(0)"), sql("DELETE FROM books"), sql("SELECT count(*) AS n FROM books")],
    expect: (seen) => {
      refused(seen, 0, /^not-a-query: PRAGMA query_only with an argument/);
      refused(seen, 1, /^not-a-query: PRAGMA query_only with an argument/);
      refused(seen, 2, /^not-a-query: .*starts with DELETE/);
      assert.match(seen.results[3]!.content, /^n\n10\n/);
    },
  },
  {
    name: "settings-that-would-change-other-episodes",
    steps: [sql("PRAGMA reverse_unordered_selects = 1"), sql("PRAGMA case_sensitive_like = 1"), sql("EXPLAIN PRAGMA reverse_unordered_selects = 1"), sql("PRAGMA locking_mode = EXCLUSIVE"), sql(UNORDERED)],
    expect: (seen) => {
      for (const i of [0, 1, 3]) refused(seen, i, /^not-a-query: PRAGMA/);
      refused(seen, 2, /^not-a-query: EXPLAIN is run only for SELECT/);
    },
  },
  {
    name: "attach-vacuum-into-and-extensions",
    steps: [
      sql("ATTACH DATABASE '{CANARY}/attached.db' AS x"),
      sql("VACUUM INTO '{CANARY}/copy.db'"),
      sql("SELECT load_extension('{CANARY}/evil.so')"),
      sql("SELECT * FROM pragma_database_list"),
      sql("SELECT writefile('{CANARY}/written', 'x')"),
    ],
    expect: (seen) => {
      refused(seen, 0, /starts with ATTACH/);
      refused(seen, 1, /starts with VACUUM/);
      refused(seen, 2, /^sql-error: not authorized/);
      assert.doesNotMatch(seen.results[3]!.content, /\bx\b/);
      refused(seen, 4, /^sql-error: no such function: writefile/);
    },
  },
  {
    name: "statements-smuggled-past-a-query",
    steps: [
      sql("SELECT 1; DROP TABLE books"),
      sql("WITH x AS (SELECT 1) DELETE FROM sales"),
      sql("SELECT 1 /* ; */ ; UPDATE books SET price_eur = 0"),
      sql("UPDATE books SET price_eur = 0 RETURNING id"),
      sql("CREATE TEMP TABLE t AS SELECT * FROM books"),
      describe('books"); DROP TABLE books; --'),
    ],
    expect: (seen) => {
      refused(seen, 0, /one statement at a time/);
      refused(seen, 1, /not DELETE/);
      refused(seen, 2, /one statement at a time/);
      refused(seen, 3, /starts with UPDATE/);
      refused(seen, 4, /starts with CREATE/);
      refused(seen, 5, /no table or view named/);
    },
  },
  {
    name: "memory-hog-and-runaway-query",
    steps: [
      // one allocation past the memory limit (and below the 2^29-byte string or blob limit better-sqlite3 sets): it fails at once, however busy the machine
      sql("SELECT length(randomblob(400000000))"),
      sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"),
      sql("SELECT count(*) AS n FROM books"),
    ],
    expect: (seen) => {
      refused(seen, 0, /^sql-error: out of memory|^process-died: .*256 MiB/);
      refused(seen, 1, /^sql-timeout: the statement ran past 3000 ms/);
      assert.match(seen.results[2]!.content, /^n\n10\n/, "the next statement runs in a fresh process");
    },
  },
  {
    // SQLite's own length limit (better-sqlite3 sets 2^29 - 24 bytes) or the memory limit, whichever SQLite meets first
    name: "strings-and-blobs-past-sqlite-length-limit",
    steps: [sql("SELECT zeroblob(2e9)"), sql("SELECT printf('%.*c', 1e9, 'x')"), sql("SELECT length(replace(printf('%.*c', 4e8, 'x'), 'x', 'xxxx'))")],
    expect: (seen) => {
      refused(seen, 0, /^sql-error: string or blob too big/);
      // a failed allocation ends these at once, but a machine too busy to run the process for 3 s stops them at the time limit
      for (const i of [1, 2]) refused(seen, i, /^sql-error: (string or blob too big|out of memory)|^process-died: .*256 MiB|^sql-timeout/);
    },
  },
  {
    // the memory limit (RLIMIT_DATA) ends a value that doubles each step well before SQLite's length limit
    name: "recursive-concatenation",
    steps: [sql("WITH RECURSIVE c(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM c WHERE n < 40) SELECT max(length(s)) FROM c"), sql("SELECT count(*) AS n FROM books")],
    expect: (seen) => {
      // the memory limit ends it (on a loaded machine the time limit may come first)
      refused(seen, 0, /^sql-error: (out of memory|string or blob too big)|^process-died: .*256 MiB|^sql-timeout/);
      assert.match(seen.results[1]!.content, /^n\n10\n/);
    },
  },
  {
    // values under both limits above that together pass the result limit (a quarter of the 256 MiB memory): the verifier keeps whole
    // values, so the SQL process refuses the result before it crosses into acc (test/run/sqlite-process.test.ts checks it without a time
    // limit; here, on a machine too busy to build 70 MB within the statement's 3 s, the time limit may stop it first)
    name: "a-result-past-the-result-limit",
    steps: [],
    answer: "```sql\nSELECT printf('%.*c', 7000000, 'x') FROM books\n```",
    expect: (seen) => {
      assert.equal(seen.output.episode.reward, 0);
      if (seen.output.episode.verdict.reason === "sql-timeout") return;
      assert.equal(seen.output.episode.verdict.reason, "result-too-large");
      assert.match(seen.output.episode.verdict.detail, /the first 10 rows hold more than the limit of 67108864 bytes/);
    },
  },
  {
    name: "a-final-answer-that-writes",
    steps: [],
    answer: "```sql\nDELETE FROM books\n```",
    expect: (seen) => assert.deepEqual([seen.output.episode.reward, seen.output.episode.verdict.reason], [0, "not-a-query"]),
  },
];

/** Runs after the others, in the same processes: it must see the database as it is. */
const AFTER: Attack = {
  name: "a-later-episode-sees-the-database-as-it-is",
  steps: [sql(UNORDERED), sql("SELECT 'a' LIKE 'A' AS insensitive")],
  expect: () => {},
};

let canary: Canary;
let db: string;
let digest: string;
let seen: Map<string, Seen>;
let later: Seen;

const hash = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

before(async () => {
  canary = await new Canary().start();
  db = join(tempDir("acc-sql-attack-"), "bookshop.sqlite");
  copyFileSync(exampleData().db, db);
  digest = hash(db);
  // one process: every episode's statements go through the same one, as they would under load
  const env = new SqlEnvironment({ db, timeoutMs: 3_000, maxRows: 20, maxChars: 2_000, processes: 1, memoryBytes: 256 * 1024 * 1024 });
  try {
    seen = await runAttacks(env, ATTACKS, canary, { gold_sql: "SELECT count(*) FROM books" }, 2);
    later = (await runAttacks(env, [AFTER], canary, { gold_sql: "SELECT count(*) FROM books" }, 1)).get(AFTER.name)!;
  } finally {
    await env.close();
  }
});

after(async () => {
  await canary?.close();
});

for (const attack of ATTACKS) {
  test(`sql attack: ${attack.name}`, async () => {
    attack.expect(seen.get(attack.name)!);
    await canary.check(attack.name);
    assert.equal(hash(db), digest, "the database file is byte-identical");
    assert.deepEqual(readdirSync(join(db, "..")), ["bookshop.sqlite"], "no journal, WAL or other file beside it");
  });
}

test("sql: a later episode in the same process sees the database and the connection settings as they were", () => {
  const direct = new Database(db, { readonly: true });
  const titles = direct.prepare(UNORDERED).pluck().all() as string[];
  direct.close();
  assert.equal(later.results[0]!.content.split("\n").slice(1, 4).join("\n"), titles.slice(0, 3).join("\n"), "rows in SQLite's own order, not reversed");
  assert.match(later.results[1]!.content, /^insensitive\n1\n/, "LIKE is case-insensitive as always");
});
