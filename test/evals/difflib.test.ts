import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { codePoints, sequenceMatcherRatio } from "../../src/evals/difflib.js";
import { Random } from "../../src/random.js";
import { tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

test("golden vectors computed with CPython 3.11 difflib", () => {
  const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + i)).join("");
  const vectors: [string, string, number][] = [
    ["abcd", "bcde", 0.75],
    ["", "", 1.0],
    ["abc", "", 0.0],
    ["private Thread currentThread;", "private volatile Thread currentThread;", 0.8656716417910447],
    ["xxxx", `xxx${cjk(197)}`, 0.029411764705882353],
    ["xxxx", `xxxx${cjk(196)}`, 0.0392156862745098],
    // autojunk starts at len(b) = 200: 'b' then occurs 100 times > 200 // 100 + 1 and can no longer start a match
    ["ba".repeat(100), `${"ab".repeat(99)}c`, 0.9924812030075187],
    ["ba".repeat(100), "ab".repeat(100), 0.0],
    // popular elements still extend a match that starts at (alo, blo)
    ["a".repeat(300), "a".repeat(300), 1.0],
    // only b is indexed, so the ratio is not symmetric
    [`xxx${"abcdefghij".repeat(25)}`, `${"abcdefghij".repeat(2)}${"klmnopqrst".repeat(20)}`, 0.08456659619450317],
    [`${"abcdefghij".repeat(2)}${"klmnopqrst".repeat(20)}`, `xxx${"abcdefghij".repeat(25)}`, 0.0],
  ];
  for (const [a, b, expected] of vectors) assert.equal(sequenceMatcherRatio(a, b), expected, `${a.slice(0, 20)} / ${b.slice(0, 20)}`);
});

test("elements are code points: an astral character counts once, a lone surrogate is one element", () => {
  assert.deepEqual([...codePoints("a😀b")], [0x61, 0x1f600, 0x62]);
  assert.deepEqual([...codePoints("\ud800x\udc00")], [0xd800, 0x78, 0xdc00]);
  // on UTF-16 units 😀 and 😃 would share their high surrogate and score 0.5
  assert.equal(sequenceMatcherRatio("😀", "😃"), 0);
  assert.equal(sequenceMatcherRatio("a😀", "a😃"), 0.5);
});

/** Pairs that exercise every branch: tiny alphabets, the autojunk threshold, repeats, edits of long texts, non-ASCII, astral, lone surrogates. */
function parityPairs(count: number): [string, string][] {
  const random = new Random(20260522, "difflib-parity");
  const alphabets = ["ab", "abc", "abcdefgh ", "aé中😀", "xyz\u0301e", "𝔸𝔹ℂ𝔻", "a\ud800b\udc00", "lorem ipsum dolor sit amet,.\n"];
  const text = (alphabet: string, length: number) => {
    const chars = [...alphabet];
    return Array.from({ length }, () => random.pick(chars)).join("");
  };
  const mutate = (source: string, edits: number) => {
    const chars = [...source];
    for (let e = 0; e < edits; e++) {
      const at = random.int(0, chars.length);
      const kind = random.int(0, 2);
      if (kind === 0) chars.splice(at, 0, random.pick([..."abcé中😀 "]));
      else if (kind === 1) chars.splice(at, 1);
      else chars[at] = random.pick([..."xyz中😀"]);
    }
    return chars.join("");
  };
  const pairs: [string, string][] = [];
  while (pairs.length < count) {
    const alphabet = random.pick(alphabets);
    switch (pairs.length % 6) {
      case 0:
        pairs.push([text(alphabet, random.int(0, 12)), text(alphabet, random.int(0, 12))]);
        break;
      case 1:
        pairs.push([text(alphabet, random.int(0, 50)), text(alphabet, random.int(195, 205))]);
        break;
      case 2: {
        const a = text(alphabet, random.int(150, 300));
        pairs.push([mutate(a, random.int(0, 12)), a]);
        break;
      }
      case 3: {
        const unit = text(alphabet, random.int(1, 4));
        pairs.push([unit.repeat(random.int(1, 25)), `${text(alphabet, random.int(0, 5))}${unit.repeat(random.int(50, 100))}`]);
        break;
      }
      case 4: {
        const b = text(alphabet, random.int(190, 230));
        pairs.push([b.slice(random.int(0, 180)) + text(alphabet, random.int(0, 10)), b]);
        break;
      }
      default:
        pairs.push([text(alphabet, random.int(0, 60)), text(alphabet, random.int(0, 60))]);
    }
  }
  return pairs;
}

const PYTHON_RATIOS = `
import difflib, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        a, b = json.loads(line)
        print(repr(difflib.SequenceMatcher(None, a, b).ratio()))
`;

test("10,200 random pairs score exactly as Python's own difflib (one Python process for the batch)", { skip: pythonMissing() }, () => {
  const pairs = parityPairs(10_200);
  assert.ok(pairs.filter(([, b]) => codePoints(b).length >= 200).length > 3000, "enough pairs past the autojunk threshold");
  const file = join(tempDir(), "pairs.jsonl");
  writeFileSync(file, pairs.map((pair) => JSON.stringify(pair)).join("\n") + "\n");
  const run = spawnSync(pythonWith()!, ["-c", PYTHON_RATIOS, file], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, run.stderr);
  const expected = run.stdout.trim().split("\n").map(Number);
  assert.equal(expected.length, pairs.length);
  const mismatches = pairs.flatMap(([a, b], i) => (sequenceMatcherRatio(a, b) === expected[i] ? [] : [i]));
  assert.deepEqual(mismatches, []);
  assert.ok(new Set(expected).size > 1000, "the pairs cover many distinct ratios");
});
