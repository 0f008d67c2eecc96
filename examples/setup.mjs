// Builds the example sources that are not committed as files: a SQLite database (bookshop.sqlite)
// and a small git repository (repo/) at a fixed, reproducible commit. Idempotent; offline.
// Usage: node examples/setup.mjs [dir]   (default examples/.build/)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";

const here = dirname(new URL(import.meta.url).pathname);
const build = process.argv[2] ?? join(here, ".build");
mkdirSync(build, { recursive: true });

// --- bookshop.sqlite: authors, books, sales, stores -----------------------------------------------
const dbPath = join(build, "bookshop.sqlite");
rmSync(dbPath, { force: true });
const db = new Database(dbPath);
db.exec(`
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, born INTEGER);
CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id), year INTEGER, price_eur REAL);
CREATE TABLE stores (id INTEGER PRIMARY KEY, city TEXT NOT NULL, opened INTEGER);
CREATE TABLE sales (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id), store_id INTEGER NOT NULL REFERENCES stores(id), quantity INTEGER NOT NULL, sold_on TEXT NOT NULL);
`);
const authors = [
  [1, "Ursula K. Le Guin", "United States", 1929],
  [2, "Terry Pratchett", "United Kingdom", 1948],
  [3, "Octavia E. Butler", "United States", 1947],
  [4, "Jorge Luis Borges", "Argentina", 1899],
  [5, "Stanisław Lem", "Poland", 1921],
];
const books = [
  [1, "A Wizard of Earthsea", 1, 1968, 9.9], [2, "The Dispossessed", 1, 1974, 11.5], [3, "The Left Hand of Darkness", 1, 1969, 10.9],
  [4, "Guards! Guards!", 2, 1989, 8.99], [5, "Small Gods", 2, 1992, 8.99], [6, "Kindred", 3, 1979, 12.0],
  [7, "Parable of the Sower", 3, 1993, 11.0], [8, "Ficciones", 4, 1944, 13.5], [9, "Solaris", 5, 1961, 10.5], [10, "The Cyberiad", 5, 1965, 9.5],
];
const stores = [[1, "Lyon", 2011], [2, "Porto", 2016], [3, "Leipzig", 2019]];
// 2024 copies per author: Le Guin 412, Pratchett 377, Butler 251, Borges 96, Lem 188.
const sales2024 = { 1: [150, 90], 2: [122], 3: [50], 4: [200, 57], 5: [120], 6: [90, 61], 7: [100], 8: [96], 9: [88], 10: [100] };
db.transaction(() => {
  for (const a of authors) db.prepare("INSERT INTO authors VALUES (?, ?, ?, ?)").run(...a);
  for (const b of books) db.prepare("INSERT INTO books VALUES (?, ?, ?, ?, ?)").run(...b);
  for (const s of stores) db.prepare("INSERT INTO stores VALUES (?, ?, ?)").run(...s);
  let id = 1;
  for (const [book, quantities] of Object.entries(sales2024)) {
    quantities.forEach((q, i) => db.prepare("INSERT INTO sales VALUES (?, ?, ?, ?, ?)").run(id++, Number(book), (i % 3) + 1, q, `2024-0${(i % 9) + 1}-15`));
    db.prepare("INSERT INTO sales VALUES (?, ?, ?, ?, ?)").run(id++, Number(book), 2, 20 + Number(book), "2023-11-02");
  }
})();
db.close();

// --- repo/: the "textstats" Python package at the commit the SWE example starts from -------------
const repo = join(build, "repo");
rmSync(repo, { recursive: true, force: true });
mkdirSync(join(repo, "textstats"), { recursive: true });
mkdirSync(join(repo, "tests"), { recursive: true });
const files = {
  "README.md": "# textstats\n\nSmall text statistics: word counts, line counts, reading time.\n",
  "textstats/__init__.py": 'from .counter import count_words, count_lines\nfrom .timing import reading_time\n\n__all__ = ["count_words", "count_lines", "reading_time"]\n',
  "textstats/counter.py": [
    '"""Counting words and lines."""',
    "",
    "",
    "def count_words(text: str) -> int:",
    '    """Number of words in `text`, words being separated by whitespace."""',
    "    if not text:",
    "        return 0",
    '    return len(text.split(" "))',
    "",
    "",
    "def count_lines(text: str) -> int:",
    '    """Number of lines; a final line without a newline still counts."""',
    "    if not text:",
    "        return 0",
    '    return text.count("\\n") + (0 if text.endswith("\\n") else 1)',
    "",
  ].join("\n"),
  "textstats/timing.py": [
    '"""Reading time estimates."""',
    "",
    "from .counter import count_words",
    "",
    "WORDS_PER_MINUTE = 230",
    "",
    "",
    "def reading_time(text: str) -> float:",
    '    """Minutes an average adult needs to read `text`."""',
    "    return count_words(text) / WORDS_PER_MINUTE",
    "",
  ].join("\n"),
  "textstats/io.py": [
    '"""Reading text files with a fallback encoding."""',
    "",
    "from pathlib import Path",
    "",
    "",
    "def read_text(path: str) -> str:",
    '    data = Path(path).read_bytes()',
    "    try:",
    '        return data.decode("utf-8")',
    "    except UnicodeDecodeError:",
    '        return data.decode("latin-1")',
    "",
  ].join("\n"),
  "tests/test_counter.py": [
    "from textstats import count_lines, count_words",
    "",
    "",
    "def test_words():",
    '    assert count_words("one two three") == 3',
    "",
    "",
    "def test_lines():",
    '    assert count_lines("a\\nb") == 2',
    "",
  ].join("\n"),
};
for (const [path, text] of Object.entries(files)) writeFileSync(join(repo, path), text);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "acc examples", GIT_AUTHOR_EMAIL: "examples@acc.invalid", GIT_AUTHOR_DATE: "2025-01-01T00:00:00Z",
  GIT_COMMITTER_NAME: "acc examples", GIT_COMMITTER_EMAIL: "examples@acc.invalid", GIT_COMMITTER_DATE: "2025-01-01T00:00:00Z",
};
const git = (...args) => execFileSync("git", ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], { cwd: repo, env, encoding: "utf8" }).trim();
git("init", "-q");
git("add", "-A");
git("commit", "-q", "-m", "textstats 0.1");
const head = git("rev-parse", "HEAD");
if (!existsSync(join(repo, ".git"))) throw new Error("git init failed");
console.log(`${build} ready: bookshop.sqlite, repo at ${head}`);
