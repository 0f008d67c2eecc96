import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { test } from "node:test";
import { Random } from "../../src/random.js";
import { asciiPieces, CL100K_PATTERN, QWEN_PATTERN } from "../../src/tokenize/ascii-pieces.js";
import { jsPreTokenizer } from "../../src/tokenize/pieces.js";
import { QWEN3_DIR, QWEN3_RANKS_FILE } from "../../src/tokenize/qwen3.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";
import { fuzzStrings } from "./fuzz-text.js";

const require = createRequire(import.meta.url);
const PATTERNS = { qwen: QWEN_PATTERN, cl100k: CL100K_PATTERN };

function regexPieces(regex: RegExp, text: string): string[] {
  return text.match(regex) ?? [];
}

function scannedPieces(pattern: string, text: string): string[] {
  const scanner = asciiPieces(pattern, jsPreTokenizer(pattern));
  assert.ok(scanner, "the scanner knows the pattern");
  const pieces: string[] = [];
  scanner.forEach(text, (piece) => pieces.push(piece));
  return pieces;
}

/** Where the two splits first differ, for a readable failure. */
function assertSamePieces(pattern: string, text: string, label: string): void {
  const expected = regexPieces(jsPreTokenizer(pattern), text);
  const actual = scannedPieces(pattern, text);
  if (actual.length === expected.length && actual.every((piece, i) => piece === expected[i])) return;
  const at = actual.findIndex((piece, i) => piece !== expected[i]);
  assert.fail(`${label}: piece ${at} is ${JSON.stringify(actual[at])}, the regex's ${JSON.stringify(expected[at])} (in ${JSON.stringify(text.slice(0, 200))})`);
}

/** Short strings of the characters each alternative of the pattern turns on, ASCII and not, in every order. */
function edgeStrings(count: number, seed: number): string[] {
  const random = new Random(seed, "ascii-pieces");
  const atoms = [
    "'", "s", "S", "t", "r", "e", "E", "v", "m", "l", "L", "d", "x", "'s", "'re", "'ll", "'ve", "'D", "'\u017f", "'r\u00e9",
    " ", "  ", "\t", "\n", "\r", "\r\n", "\u000b", "\u000c", "\u0085", "\u00a0", "\u3000", "\u2028",
    "a", "Z", "\u00e9", "\u00aa", "\u017f", "\u0301", "\u5b57", "\ud83d\ude00", "\ud800",
    "0", "7", "123", "4567", "\u0663", "\u216b", "\u00b2",
    ".", "!", "(", "/", "\\", "-", "#", "\u0000", "\u007f", "\u2014", "\u00bf", "\u201c",
  ];
  return Array.from({ length: count }, () => {
    let text = "";
    const n = random.int(1, 12);
    for (let i = 0; i < n; i++) text += random.pick(atoms);
    return text;
  });
}

test("the ASCII scanner gives the regex's pieces on strings built from the pattern's edge characters", () => {
  for (const [name, pattern] of Object.entries(PATTERNS)) {
    for (const text of edgeStrings(20_000, 1)) assertSamePieces(pattern, text, name);
  }
});

test("the ASCII scanner gives the regex's pieces on varied text (code, prose, scripts, emoji, white space)", () => {
  for (const [name, pattern] of Object.entries(PATTERNS)) {
    for (const text of fuzzStrings(3_000, 2, 10)) assertSamePieces(pattern, text, name);
  }
});

test("the ASCII scanner knows Qwen3's and cl100k_base's patterns as shipped, and leaves others to the regex", () => {
  const stored = JSON.parse(gunzipSync(readFileSync(join(QWEN3_DIR, QWEN3_RANKS_FILE))).toString("utf8")) as { pattern: string };
  assert.equal(stored.pattern, QWEN_PATTERN);
  assert.equal((require("tiktoken/encoders/cl100k_base.json") as { pat_str: string }).pat_str, CL100K_PATTERN);
  const o200k = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  assert.equal(asciiPieces(o200k, jsPreTokenizer(o200k)), undefined);
});

test("the ASCII scanner gives the regex's pieces on every text of the real samples", { skip: SAMPLES_MISSING }, () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
  let characters = 0;
  for (const file of files(SAMPLES_DIR)) {
    if (statSync(file).size > 8 << 20) continue;
    const text = readFileSync(file, "utf8");
    characters += text.length;
    assertSamePieces(QWEN_PATTERN, text, file);
  }
  assert.ok(characters > 1_000_000, `read ${characters} characters of samples`);
});
