import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { before, test } from "node:test";
import { Tiktoken } from "tiktoken/lite";
import { Random } from "../../src/random.js";
import { tiktokenRanksFrom } from "../../src/tokenize/bpe-ranks.js";
import { HeapBpe } from "../../src/tokenize/heap-bpe.js";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { jsPreTokenizer } from "../../src/tokenize/pieces.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { RankTable, rankTableBytes } from "../../src/tokenize/rank-table.js";
import { TableBpe } from "../../src/tokenize/table-bpe.js";
import type { TokenizerJson } from "../../src/tokenize/tokenizer-json.js";
import { pythonMissing } from "../helpers/python.js";
import { pythonTokenizersEncode, qwen3TokenizerJsonText } from "./reference.js";

const require = createRequire(import.meta.url);

interface Encoding {
  name: string;
  ranks: string;
  pattern: string;
  table: RankTable;
}

let encodings: Encoding[];
let jsonText: string;
before(() => {
  jsonText = qwen3TokenizerJsonText();
  const conversion = tiktokenRanksFrom(JSON.parse(jsonText) as TokenizerJson, { verifyMerges: false });
  assert.ok(conversion.ok);
  encodings = [
    { name: "qwen3", ranks: conversion.ranks, pattern: conversion.pattern },
    ...(["o200k_base", "cl100k_base"] as const).map((name) => {
      const { bpe_ranks, pat_str } = require(`tiktoken/encoders/${name}.json`) as { bpe_ranks: string; pat_str: string };
      return { name, ranks: bpe_ranks, pattern: pat_str };
    }),
  ].map((encoding) => ({ ...encoding, table: tableOf(encoding.ranks, encoding.pattern) }));
});

function tableOf(ranks: string, pattern: string): RankTable {
  return RankTable.read(rankTableBytes(ranks, { sourceSha256: "test", pattern, nfc: false, specialTokens: {} }), "test");
}

/** Strings over small alphabets (so pieces run long) and over varied text, up to `maxLength` characters. */
function fuzzPieces(count: number, seed: number, maxLength: number): string[] {
  const random = new Random(seed, "heap-bpe");
  const alphabets = [" ", "=", "-", "a", "ab", "aA", "字", "字符串", "\n", " \n", " \t", "😀", "é", "e\u0301", "xyz", "аб", "ก", "=-", "#", "\u3000 ", "🇯🇵"];
  const cjk = () => String.fromCodePoint(0x4e00 + random.int(0, 20_000));
  return Array.from({ length: count }, (_, i) => {
    const length = random.int(1, maxLength);
    if (i % 5 === 0) return Array.from({ length }, cjk).join("");
    const alphabet = [...random.pick(alphabets)];
    return Array.from({ length }, () => random.pick(alphabet)).join("");
  });
}

test("the O(n log n) merge and the short-piece merge give tiktoken's ids on every piece, for Qwen3, o200k_base and cl100k_base", () => {
  for (const { name, ranks, pattern, table } of encodings) {
    const heap = new HeapBpe(table);
    const short = new TableBpe(table);
    const bpe = new Tiktoken(ranks, {}, pattern);
    const splitter = jsPreTokenizer(pattern);
    let pieces = 0;
    let long = 0;
    for (const text of fuzzPieces(400, 3, 600)) {
      for (const piece of text.match(splitter) ?? []) {
        const ids: number[] = [];
        heap.encodePiece(piece, ids);
        assert.deepEqual(ids, [...bpe.encode_ordinary(piece)], `${name}: ${JSON.stringify(piece.slice(0, 60))} (${piece.length} chars)`);
        assert.equal(heap.countPiece(piece), ids.length);
        assert.deepEqual(short.encodePiece(piece), ids, `${name}, short-piece merge: ${JSON.stringify(piece.slice(0, 60))} (${piece.length} chars)`);
        pieces++;
        if (piece.length > 200) long++;
      }
    }
    assert.ok(pieces > 400 && long > 100, `${name}: only ${pieces} pieces, ${long} longer than 200 characters`);
    bpe.free();
  }
});

test("a piece that is a whole token is that token, as in tiktoken (not what merging its bytes would give)", () => {
  const { ranks, pattern, table } = encodings[1]!;
  const heap = new HeapBpe(table);
  const short = new TableBpe(table);
  const bpe = new Tiktoken(ranks, {}, pattern);
  for (const piece of [" the", "ingly", " ", "\n\n", "字", "=".repeat(16)]) {
    const ids: number[] = [];
    heap.encodePiece(piece, ids);
    assert.deepEqual(ids, [...bpe.encode_ordinary(piece)]);
    assert.deepEqual(short.encodePiece(piece), ids);
  }
  bpe.free();
});

test("o200k_base and cl100k_base encode long runs (5,000 characters, tiktoken's whole-text encode as reference) exactly", async () => {
  const runs = [" ", "=", "\n", "a", "-", "字"].map((unit) => unit.repeat(5_000));
  for (const { name, ranks, pattern } of encodings.slice(1)) {
    const tokenizer = await loadOpenAiEncoding(name as "o200k_base" | "cl100k_base");
    const bpe = new Tiktoken(ranks, {}, pattern);
    for (const run of runs) assert.deepEqual(tokenizer.encode(run), [...bpe.encode_ordinary(run)], `${name}: ${JSON.stringify(run[0])}`);
    bpe.free();
  }
});

test("Qwen3 encodes 1,000,000-character runs of a space and of a CJK character, shorter runs and varied CJK exactly as the Rust tokenizers library does", { skip: pythonMissing("tokenizers") }, async () => {
  const qwen3 = await loadQwen3();
  const random = new Random(1, "cjk-text");
  const cjkText = Array.from({ length: 50_000 }, () => String.fromCodePoint(0x4e00 + random.int(0, 20_000))).join("");
  // The Rust library itself takes seconds on the million-character runs, so the others are shorter.
  const texts = [" ".repeat(1_000_000), "字".repeat(1_000_000), ...["=", "\n", "a", "-", "😀"].map((unit) => unit.repeat(100_000)), cjkText, `def f():\n${" ".repeat(100_000)}return 1`];
  const expected = pythonTokenizersEncode(jsonText, texts)!;
  texts.forEach((text, i) => {
    const ids = qwen3.encode(text);
    const label = `${JSON.stringify(text.slice(0, 3))} × ${text.length}`;
    assert.equal(ids.length, expected[i]!.length, `${label}: count`);
    assert.ok(ids.every((id, k) => id === expected[i]![k]), `${label}: ids`);
    assert.equal(qwen3.count(text), ids.length, `${label}: count`);
  });
});
