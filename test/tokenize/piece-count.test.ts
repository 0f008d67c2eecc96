import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { Tiktoken } from "tiktoken/lite";
import { Random } from "../../src/random.js";
import { jsPreTokenizer, PieceCounter } from "../../src/tokenize/piece-count.js";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { fuzzStrings } from "./fuzz-text.js";

const require = createRequire(import.meta.url);

/** tiktoken itself, straight from the shipped file: the reference counts. */
function reference(name: "o200k_base" | "cl100k_base"): { bpe: Tiktoken; pattern: string } {
  const { bpe_ranks, special_tokens, pat_str } = require(`tiktoken/encoders/${name}.json`) as { bpe_ranks: string; special_tokens: Record<string, number>; pat_str: string };
  return { bpe: new Tiktoken(bpe_ranks, special_tokens, pat_str), pattern: pat_str };
}

/** Characters where JavaScript's and Rust's regexes could read differently, in runs of every length. */
function trickyStrings(count: number, seed: number): string[] {
  const random = new Random(seed, "piece-count");
  const atoms = [
    "'s", "'S", "'\u017f", "'ſt", "'re", "'RE", "'Ve", "'ll", "'D", "'x", "'", "’s",
    " ", "  ", "\t", "\n", "\r\n", "\r", "\u0085", "\ufeff", "\u00a0", "\u2028", "\u3000", "\u000b", "\u200b",
    "a", "Z", "é", "ǅ", "ß", "ſ", "K", "\u0301", "字", "😀", "\ud800", "\udfff", "1", "12345", "٣", "Ⅻ",
    "!", "...", "/", "//", "{}", "\\", "-", "#",
  ];
  return Array.from({ length: count }, () => Array.from({ length: random.int(1, 30) }, () => random.pick(atoms)).join(""));
}

test("counting by pieces equals tiktoken's own count for o200k_base and cl100k_base, on fuzz text and regex edge cases", async () => {
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const { bpe } = reference(name);
    const tokenizer = await loadOpenAiEncoding(name);
    const texts = [...fuzzStrings(3_000, 29, 10), ...trickyStrings(5_000, 7), "=".repeat(500), `${"a".repeat(300)} ${"1".repeat(300)}`];
    for (const text of texts) assert.equal(tokenizer.count(text), bpe.encode_ordinary(text).length, `${name}: ${JSON.stringify(text)}`);
    bpe.free();
  }
});

test("the pre-tokenizer pieces are the texts tiktoken's pieces decode to", () => {
  const { bpe, pattern } = reference("o200k_base");
  const splitter = jsPreTokenizer(pattern);
  for (const text of trickyStrings(500, 3)) {
    const pieces = text.match(splitter) ?? [];
    assert.equal(pieces.join(""), text, "the pieces cover the text");
    const ids = pieces.flatMap((piece) => [...bpe.encode_ordinary(piece)]);
    assert.deepEqual(ids, [...bpe.encode_ordinary(text)], JSON.stringify(text));
  }
  bpe.free();
});

test("a PieceCounter remembers short pieces only, and stays exact when its memory starts over", () => {
  const asked: string[] = [];
  const counter = new PieceCounter(/\S+|\s+/gu, (piece) => {
    asked.push(piece);
    return piece.length;
  });
  const long = "x".repeat(65);
  assert.equal(counter.count(`ab ab ${long} ${long}`), 2 + 1 + 2 + 1 + 65 + 1 + 65);
  assert.deepEqual(asked, ["ab", " ", long, long]);
  const many = Array.from({ length: (1 << 17) + 10 }, (_, i) => `w${i}`).join(" ");
  assert.equal(counter.count(many), many.replaceAll(" ", "").length + (1 << 17) + 9);
});

test("patterns with constructs that read differently in JavaScript are refused", () => {
  assert.throws(() => jsPreTokenizer("(?i:abc)|\\w+"), /not supported for counting/);
  assert.throws(() => jsPreTokenizer("\\d+|\\s+"), /not supported for counting/);
});
