// The loop's repository: "textstats" with a short, reproducible history of four pull requests (squash
// merges, as GitHub writes them) that acc mine links into two chains: a feature and its follow-up, a
// fix and its follow-up. Every PR changes code and its unittest tests, so each stage has a test patch.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

type Files = Record<string, string>;

const counter = (split: string, filter = false) =>
  [
    '"""Counting words."""',
    "",
    "",
    "def count_words(text: str) -> int:",
    '    """Number of words in `text`."""',
    "    if not text:",
    "        return 0",
    ...(filter ? [`    return len([w for w in ${split} if any(c.isalnum() for c in w)])`] : [`    return len(${split})`]),
    "",
  ].join("\n");

const sentences = (marks: string) =>
  [
    '"""Counting sentences."""',
    "",
    "",
    "def count_sentences(text: str) -> int:",
    '    """Number of sentences: runs of text ending in a sentence mark."""',
    `    marks = ${JSON.stringify(marks)}`,
    "    count = 0",
    "    previous = \"\"",
    "    for char in text:",
    "        if char in marks and previous not in marks:",
    "            count += 1",
    "        previous = char",
    "    return count",
    "",
  ].join("\n");

const test = (name: string, lines: string[]) =>
  [`import unittest`, "", `from textstats.${name} import *  # noqa: F403`, "", "", `class Test${name[0]!.toUpperCase()}${name.slice(1)}(unittest.TestCase):`, ...lines, ""].join("\n");

/** Initial commit, then one squash commit per PR: subject "(#N)", body with its references. */
const HISTORY: { message: string; files: Files }[] = [
  {
    message: "textstats 0.1",
    files: {
      "README.md": "# textstats\n\nSmall text statistics.\n",
      "textstats/__init__.py": "",
      "textstats/counter.py": counter('text.split(" ")'),
      "tests/__init__.py": "",
      "tests/test_counter.py": test("counter", ["    def test_words(self):", '        self.assertEqual(count_words("one two three"), 3)  # noqa: F405']),
    },
  },
  {
    message: "Add count_sentences (#1)\n\nCounts sentences ending in a full stop.\n\nCloses #10",
    files: {
      "textstats/sentences.py": sentences("."),
      "tests/test_sentences.py": test("sentences", ["    def test_full_stops(self):", '        self.assertEqual(count_sentences("One. Two..."), 2)  # noqa: F405']),
    },
  },
  {
    message: "Fix count_words on runs of whitespace (#2)\n\ncount_words('one  two') returned 3: any run of spaces, tabs or newlines now separates words.\n\nFixes #11",
    files: {
      "textstats/counter.py": counter("text.split()"),
      "tests/test_counter.py": test("counter", [
        "    def test_words(self):",
        '        self.assertEqual(count_words("one two three"), 3)  # noqa: F405',
        "",
        "    def test_whitespace(self):",
        '        self.assertEqual(count_words("one  two\\tthree\\nfour"), 4)  # noqa: F405',
      ]),
    },
  },
  {
    message: "count_sentences: question and exclamation marks end sentences too (#3)\n\nFollow-up to #1: \"Really? Yes!\" is two sentences.",
    files: {
      "textstats/sentences.py": sentences(".?!"),
      "tests/test_sentences.py": test("sentences", [
        "    def test_full_stops(self):",
        '        self.assertEqual(count_sentences("One. Two..."), 2)  # noqa: F405',
        "",
        "    def test_other_marks(self):",
        '        self.assertEqual(count_sentences("Really? Yes! Fine."), 3)  # noqa: F405',
      ]),
    },
  },
  {
    message: "count_words: a dash alone is not a word (#4)\n\nFollow-up to #2: \"one - two\" has two words.",
    files: {
      "textstats/counter.py": counter("text.split()", true),
      "tests/test_counter.py": test("counter", [
        "    def test_words(self):",
        '        self.assertEqual(count_words("one two three"), 3)  # noqa: F405',
        "",
        "    def test_whitespace(self):",
        '        self.assertEqual(count_words("one  two\\tthree\\nfour"), 4)  # noqa: F405',
        "",
        "    def test_dash(self):",
        '        self.assertEqual(count_words("one - two"), 2)  # noqa: F405',
      ]),
    },
  },
];

/** The test command of every stage: the standard library's unittest, no network, no packages. */
export const TEST_COMMAND = "python3 -m unittest discover -q -s tests -t .";

/** Builds the repository in `dir` (replacing it): same commits, same shas, on every machine. */
export function buildLoopRepo(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let clock = Date.UTC(2025, 0, 1) / 1000;
  const git = (args: string[]) => {
    const date = `${clock} +0000`;
    return execFileSync("git", ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_AUTHOR_NAME: "Ada",
        GIT_AUTHOR_EMAIL: "ada@example.com",
        GIT_COMMITTER_NAME: "Ada",
        GIT_COMMITTER_EMAIL: "ada@example.com",
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    }).trim();
  };
  git(["init", "-q"]);
  git(["remote", "add", "origin", "https://github.com/acc-examples/textstats.git"]);
  for (const { message, files } of HISTORY) {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    git(["add", "-A"]);
    git(["commit", "-q", "-m", message]);
    clock += 3600;
  }
  return git(["rev-parse", "HEAD"]);
}
