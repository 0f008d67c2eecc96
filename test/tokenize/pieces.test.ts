import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { Tiktoken } from "tiktoken/lite";
import { Random } from "../../src/random.js";
import { jsPreTokenizer, LONG_PIECE_CHARS, PieceCoder, splitsAtLines } from "../../src/tokenize/pieces.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { tiktokenRanksFrom } from "../../src/tokenize/bpe-ranks.js";
import type { TokenizerJson } from "../../src/tokenize/tokenizer-json.js";
import { fuzzStrings } from "./fuzz-text.js";
import { qwen3TokenizerJsonText } from "./reference.js";

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

/** Texts with long pieces (runs past LONG_PIECE_CHARS, within what tiktoken still encodes quickly). */
function longRuns(): string[] {
  const random = new Random(11, "long-runs");
  const runs = [" ", "=", "-", "\n", "a", "字", "😀", "é", "\t", "ab", "字符", " \u3000"].map((unit) => {
    const length = random.int(LONG_PIECE_CHARS - 5, 1_500);
    return Array.from({ length }, () => random.pick([...unit])).join("");
  });
  return [...runs, `x${"=".repeat(600)}y ${"a".repeat(300)} ${"1".repeat(300)}`, `${"字".repeat(400)}。${" ".repeat(400)}z`];
}

test("encoding and counting by pieces equal tiktoken's whole-text encode for o200k_base and cl100k_base, on fuzz text, regex edge cases and long runs", async () => {
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const { bpe } = reference(name);
    const tokenizer = await loadOpenAiEncoding(name);
    const texts = [...fuzzStrings(3_000, 29, 10), ...trickyStrings(5_000, 7), ...longRuns()];
    for (const text of texts) {
      const expected = [...bpe.encode_ordinary(text)];
      assert.deepEqual(tokenizer.encode(text), expected, `${name}: ${JSON.stringify(text)}`);
      assert.equal(tokenizer.count(text), expected.length, `${name}: ${JSON.stringify(text)}`);
    }
    bpe.free();
  }
});

test("Qwen3 by pieces equals tiktoken's whole-text encode with the converted ranks, long runs included", async () => {
  const qwen3 = await loadQwen3();
  const json = JSON.parse(qwen3TokenizerJsonText()) as TokenizerJson;
  const conversion = tiktokenRanksFrom(json, { verifyMerges: false });
  assert.ok(conversion.ok);
  const bpe = new Tiktoken(conversion.ranks, {}, conversion.pattern);
  // NFC text without added tokens: what tiktoken is given for each run between added tokens.
  const texts = [...trickyStrings(3_000, 5), ...longRuns()].map((text) => text.normalize("NFC"));
  for (const text of texts) {
    const expected = [...bpe.encode_ordinary(text)];
    assert.deepEqual(qwen3.encode(text), expected, JSON.stringify(text));
    assert.equal(qwen3.count(text), expected.length, JSON.stringify(text));
  }
  bpe.free();
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

test("a PieceCoder remembers short pieces only, sends long ones to the long-piece encoder, and stays exact when its memory starts over", () => {
  const asked: string[] = [];
  const askedLong: string[] = [];
  const ids = (piece: string) => Array.from(piece, (char) => char.codePointAt(0)!);
  const coder = new PieceCoder(/\S+|\s+/gu, {
    short: (piece) => {
      asked.push(piece);
      return ids(piece);
    },
    long: () => ({
      encodePiece: (piece, out) => {
        askedLong.push(piece);
        out.push(...ids(piece));
      },
      countPiece: (piece) => {
        askedLong.push(piece);
        return piece.length;
      },
    }),
  });
  const medium = "x".repeat(65);
  const long = "y".repeat(LONG_PIECE_CHARS + 1);
  const text = `ab ab ${medium} ${medium} ${long}`;
  assert.equal(coder.count(text), text.length);
  assert.deepEqual(asked, ["ab", " ", medium, medium]);
  assert.deepEqual(askedLong, [long]);
  const out: number[] = [];
  coder.encode(text, out);
  assert.deepEqual(out, ids(text));
  assert.deepEqual(asked, ["ab", " ", medium, medium, "ab", " ", medium, medium], "encode remembers ids apart from counts");
  assert.deepEqual(askedLong, [long, long]);
  const many = Array.from({ length: (1 << 17) + 10 }, (_, i) => `w${i}`).join(" ");
  assert.equal(coder.count(many), many.length);
});

test("patterns with constructs that read differently in JavaScript are refused", () => {
  assert.throws(() => jsPreTokenizer("(?i:abc)|\\w+"), /not supported in JavaScript/);
  assert.throws(() => jsPreTokenizer("\\d+|\\s+"), /not supported in JavaScript/);
  // properties whose reference members reference-unicode.ts does not list
  assert.throws(() => jsPreTokenizer("\\P{L}+|\\s+"), /not supported in JavaScript/);
  assert.throws(() => jsPreTokenizer("\\p{Han}+|\\p{Cn}+"), /not supported in JavaScript/);
  // a class with a double punctuator: `[a&&b]` is "a", "&" or "b" with the u flag, the empty intersection with v
  for (const pattern of ["[a&&b]+|\\s+", "[a--c]+", "[!--]+", "[a~~b]+", "[\\p{L}&&\\p{Lu}]+"]) assert.throws(() => jsPreTokenizer(pattern), /not supported in JavaScript/, pattern);
  // outside a class, or a single one inside, they are plain characters
  assert.deepEqual("a&&b c-d".match(jsPreTokenizer("a&&b|[a-c]-[d&]|\\s+")), ["a&&b", " ", "c-d"]);
});

test("characters a class takes literally in Rust and with the u flag are escaped for the v flag", () => {
  const punctuation = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|\\p{L}+|\\s+";
  assert.deepEqual("(abc {x |y /z".match(jsPreTokenizer(punctuation)), ["(abc", " ", "{x", " ", "|y", " ", "/z"]);
});

test("counting line by line (remembered lines) equals tiktoken on multi-line text read twice: newlines before '/', white space (ASCII and not), letters and punctuation, long lines (remembered or not)", async () => {
  assert.deepEqual(["o200k_base", "cl100k_base"].map((name) => splitsAtLines(reference(name as "o200k_base").pattern)), [true, true]);
  const gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
  assert.equal(splitsAtLines(gpt2), false, "GPT-2's pattern reads past a newline with \\s+(?!\\S): its text is never cut");
  const random = new Random(3, "line-count");
  const lines = ["cfcd208495 -> c4ca4238a0", "}", "};", "  return x;", "\t\tdone", "/usr/bin", "// comment", "'s the", "a \u00a0", ".", "..", "x".repeat(300), "ab ".repeat(1400), "", " ", "\r", "\u3000y", "\u0085z", "\u2028w", "\x1cq", "\u00a0b", "\u200bc"];
  for (const name of ["o200k_base", "cl100k_base"] as const) {
    const { bpe } = reference(name);
    const tokenizer = await loadOpenAiEncoding(name);
    for (let i = 0; i < 2_000; i++) {
      const text = Array.from({ length: random.int(1, 12) }, () => random.pick(lines)).join(random.pick(["\n", "\n\n", "\r\n", " \n", "\n/"]));
      const expected = bpe.encode_ordinary(text).length;
      assert.equal(tokenizer.count(text), expected, `${name}: ${JSON.stringify(text)}`);
      assert.equal(tokenizer.count(text), expected, `${name}, remembered lines: ${JSON.stringify(text)}`);
    }
    bpe.free();
  }
});
