import assert from "node:assert/strict";
import { before, test } from "node:test";
import Database from "better-sqlite3";
import { extractEvidence } from "../../src/compile/evidence/index.js";
import { RepoSnapshot } from "../../src/compile/repo.js";
import { loadSqlParser, tablesInSql } from "../../src/compile/sql-tables.js";
import { mostCompleteView } from "../../src/compile/evidence/swe.js";
import { parseResults } from "../../src/compile/evidence/search.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { importAll } from "../helpers/collect.js";
import { EXAMPLE_LOGS, buildExamples } from "../helpers/examples.js";

const sources = { maxTableChars: 1_000_000, maxDirectoryDistractors: 20 };

before(() => loadSqlParser());

async function examples(domain: string): Promise<Trajectory[]> {
  const { trajectories } = await importAll([EXAMPLE_LOGS]);
  return trajectories.filter((t) => t.domain === domain);
}

test("search: opened pages are evidence; results never opened are distractors; an opened result is not duplicated", async () => {
  const [philae] = await examples("search");
  const pieces = extractEvidence(philae!, sources);
  const evidence = pieces.filter((p) => p.role === "evidence");
  assert.deepEqual(evidence.map((p) => [p.kind, p.source]), [["page", "https://en.wikipedia.org/wiki/Philae_(spacecraft)"]]);
  assert.match(evidence[0]!.text, /12 November 2014/);
  const distractors = pieces.filter((p) => p.role === "distractor").map((p) => p.source);
  assert.equal(distractors.length, 3);
  assert.ok(!distractors.includes("https://en.wikipedia.org/wiki/Philae_(spacecraft)"));
  assert.ok(distractors.includes("https://en.wikipedia.org/wiki/Deep_Impact_(spacecraft)"));
  assert.deepEqual(evidence[0]!.origins, [{ trajectory_id: philae!.id, message_index: 5, call_id: "s2" }]);
});

test("search: numbered text results and JSON results both split into entries with their URLs", () => {
  const text = parseResults("1. A\nhttps://a.example/x_(y)\nabout a\n\n2. B\nhttps://b.example\nabout b");
  assert.deepEqual(text.map((c) => c.url), ["https://a.example/x_(y)", "https://b.example"]);
  const json = parseResults(JSON.stringify({ organic: [{ title: "T", link: "https://t.example", snippet: "s" }] }));
  assert.deepEqual(json.map((c) => [c.url, c.text]), [["https://t.example", "T\ns\nhttps://t.example"]]);
});

test("sql: with the database, queried tables are complete evidence and the other tables distractors", async () => {
  const { db } = buildExamples();
  const database = new Database(db, { readonly: true });
  const [topAuthor, topCity] = await examples("sql");
  const roles = (t: Trajectory) =>
    Object.fromEntries(extractEvidence(t, { ...sources, database }).map((p) => [p.source, p.role]));
  assert.deepEqual(roles(topAuthor!), { authors: "evidence", books: "evidence", sales: "evidence", stores: "distractor" });
  assert.deepEqual(roles(topCity!), { authors: "distractor", books: "distractor", sales: "evidence", stores: "evidence" });
  const sales = extractEvidence(topAuthor!, { ...sources, database }).find((p) => p.source === "sales")!;
  const rows = (database.prepare("SELECT COUNT(*) AS n FROM sales").get() as { n: number }).n;
  assert.equal(sales.text.split("\n").length, 3 + rows, "name, CREATE statement, header, then every row");
  database.close();
});

test("sql: without a database the query results in the log are the evidence", async () => {
  const [topAuthor] = await examples("sql");
  const pieces = extractEvidence(topAuthor!, sources);
  assert.deepEqual(pieces.map((p) => [p.role, p.kind]), [["evidence", "query-result"]]);
  assert.match(pieces[0]!.text, /Ursula K\. Le Guin\|412/);
});

test("sql: tables from a real SQL parser: comma lists with aliases, subqueries in FROM and WHERE, joins, quoted and qualified names, CTE scope", () => {
  const tables = (sql: string) => tablesInSql(sql).tables;
  assert.deepEqual(tables("SELECT * FROM a AS x, b AS y, c AS z"), ["a", "b", "c"]);
  assert.deepEqual(tables("SELECT * FROM (SELECT id FROM t1 WHERE k > 2) s, d WHERE s.id = d.id"), ["t1", "d"]);
  assert.deepEqual(tables("WITH sales AS (SELECT * FROM sales WHERE y = 2024) SELECT * FROM sales"), ["sales"], "the CTE's body reads the table it shadows");
  assert.deepEqual(tables("WITH a AS (SELECT * FROM x), b AS (SELECT * FROM a JOIN y ON 1) SELECT * FROM b"), ["x", "y"]);
  assert.deepEqual(tables("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"), []);
  assert.deepEqual(tables("SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id) CROSS JOIN e NATURAL JOIN f"), ["a", "b", "c", "e", "f"]);
  assert.deepEqual(tables("SELECT * FROM a WHERE id IN (SELECT aid FROM b WHERE x IN (SELECT y FROM c)) AND EXISTS (SELECT 1 FROM d)"), ["a", "b", "c", "d"]);
  assert.deepEqual(tables("SELECT count(*) FROM (SELECT * FROM a UNION SELECT * FROM b EXCEPT SELECT * FROM c)"), ["a", "b", "c"]);
  assert.deepEqual(
    tables(`WITH recent AS (SELECT * FROM "Sales" s WHERE note = 'from fake') -- from comment
      SELECT * FROM recent, main.books AS b JOIN [authors] a ON a.id = b.author_id LEFT JOIN \`stores\` ON 1`),
    ["Sales", "books", "authors", "stores"],
  );
  assert.deepEqual(tables("INSERT INTO log SELECT * FROM a, b c WHERE 1"), ["log", "a", "b"]);
  assert.deepEqual(tables("UPDATE t SET a = 1 WHERE b IN (SELECT b FROM u)"), ["t", "u"]);
  assert.deepEqual(tables("DELETE FROM t WHERE x = (SELECT max(x) FROM v)"), ["t", "v"]);
  assert.deepEqual(tablesInSql("SELECT * FROM a; SELECT * FROM b").tables, ["a", "b"]);
});

test("sql: SQLite's own syntax the first parser lacks goes to the SQLite grammar; what neither parses is counted, with no tables", () => {
  assert.deepEqual(tablesInSql("SELECT name FROM t WHERE a GLOB 'x*'"), { tables: ["t"], parse: "sqlite-grammar" });
  assert.deepEqual(tablesInSql("SELECT * FROM t INDEXED BY idx WHERE a ISNULL"), { tables: ["t"], parse: "sqlite-grammar" });
  assert.deepEqual(tablesInSql("SELECT * FROM t WHERE a = 1"), { tables: ["t"], parse: "sqlparser" });
  assert.deepEqual(tablesInSql(".tables"), { tables: [], parse: "unparsed" });
  assert.deepEqual(tablesInSql("SELECT * FROM"), { tables: [], parse: "unparsed" });
});

test("swe: patched files in full at the base commit; viewed files and command outputs are context; siblings are distractors", async () => {
  const { repo } = buildExamples();
  const [fix] = await examples("swe");
  const snapshot = RepoSnapshot.open(repo, fix!.task.repo!.base_commit!);
  const pieces = extractEvidence(fix!, { ...sources, repo: snapshot });
  const by = (role: string) => pieces.filter((p) => p.role === role).map((p) => p.source).sort();
  assert.deepEqual(by("evidence"), ["textstats/counter.py"]);
  assert.equal(pieces.find((p) => p.role === "evidence")!.text, snapshot.read("textstats/counter.py")!.trim());
  assert.deepEqual(by("context").filter((s) => !s.startsWith("$")), ["/repo/textstats/timing.py"]);
  assert.equal(by("context").filter((s) => s.startsWith("$")).length, 2);
  assert.deepEqual(by("distractor"), ["textstats/__init__.py", "textstats/io.py"]);
  assert.ok(pieces.every((p) => !p.text.includes("+    return len(text.split())")), "the gold patch never reaches the prompt");
});

test("swe: without the repository the patched file is the most complete view the agent saw", async () => {
  const [fix] = await examples("swe");
  const evidence = extractEvidence(fix!, sources).find((p) => p.role === "evidence")!;
  assert.match(evidence.text, /^"""Counting words and lines."""/);
  assert.match(evidence.text, /return len\(text\.split\(" "\)\)/);
  assert.equal(
    mostCompleteView(["    3\tc\n    4\td", "     1\ta\n     2\tb", "    7\tg"]),
    "a\nb\nc\nd\n[… lines 5–6 not seen …]\ng",
  );
});
