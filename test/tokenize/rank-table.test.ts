import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Tiktoken } from "tiktoken/lite";
import { Random } from "../../src/random.js";
import { bundledRankSources } from "../../src/tokenize/bundled-rank-tables.js";
import { HeapBpe } from "../../src/tokenize/heap-bpe.js";
import { loadOpenAiEncoding } from "../../src/tokenize/openai.js";
import { loadQwen3, qwen3RankSource } from "../../src/tokenize/qwen3.js";
import { RANK_TABLE_VERSION, RankTable, rankTableBytes, RankTableError } from "../../src/tokenize/rank-table.js";
import { RANK_TABLES_DIR, rankTableFile } from "../../src/tokenize/rank-table-files.js";
import { TableBpe } from "../../src/tokenize/table-bpe.js";
import { TiktokenCodec } from "../../src/tokenize/tiktoken-bpe.js";
import type { Tokenizer } from "../../src/tokenize/types.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";
import { tempDir } from "../helpers/collect.js";
import { fuzzStrings } from "./fuzz-text.js";

const NAMES = ["o200k_base", "cl100k_base", "qwen3"] as const;
type Name = (typeof NAMES)[number];

async function load(name: Name): Promise<Tokenizer> {
  return name === "qwen3" ? loadQwen3() : loadOpenAiEncoding(name);
}

/** tiktoken itself over the same ranks, encoding each run between added tokens whole: the reference ids. */
async function reference(name: Name, tokenizer: Tokenizer): Promise<TiktokenCodec> {
  const { ranks, meta } = name === "qwen3" ? await qwen3RankSource() : (await bundledRankSources()).get(name)!;
  return new TiktokenCodec({ ranks, pattern: meta.pattern, nfc: meta.nfc, specialTokens: tokenizer.specialTokens.all, splitAddedTokens: name === "qwen3" });
}

test("the built table files are byte for byte the tables built in memory from the rank text, and load as such", async () => {
  for (const [name, { ranks, meta }] of await bundledRankSources()) {
    const path = join(RANK_TABLES_DIR, `${name}.bin`);
    const file = readFileSync(path); // written by scripts/build-rank-tables.mjs (npm run build; scripts/run-tests.mjs builds them too)
    assert.ok(file.equals(rankTableBytes(ranks, meta)), `${path} is not the table of its rank text: run npm run build`);
    assert.ok((await rankTableFile(path, meta.sourceSha256)) instanceof RankTable);
  }
});

test("a damaged, cut, stale, foreign or other-version table file is refused with a one-line reason, and not loaded", async () => {
  const { ranks, meta } = (await bundledRankSources()).get("cl100k_base")!;
  const good = rankTableBytes(ranks, meta);
  const damaged = (change: (bytes: Uint8Array) => void) => {
    const copy = good.slice();
    change(copy);
    return copy;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ["one token byte flipped", damaged((bytes) => (bytes[bytes.length - 100]! ^= 1)), /damaged \(its checksum/],
    ["one hash slot changed", damaged((bytes) => (bytes[bytes.length >> 1]! ^= 0x40)), /damaged/],
    ["cut short", good.subarray(0, good.length - 4), /damaged|cut short/],
    ["empty", new Uint8Array(0), /not a rank table/],
    ["not a table", new TextEncoder().encode("x".repeat(100)), /not a rank table/],
    ["another version", damaged((bytes) => new DataView(bytes.buffer).setUint32(8, RANK_TABLE_VERSION + 1, true)), /version 2, not 1/],
  ];
  for (const [what, bytes, reason] of cases) {
    assert.throws(() => RankTable.read(bytes, meta.sourceSha256), (error: Error) => error instanceof RankTableError && reason.test(error.message) && !error.message.includes("\n"), what);
  }
  assert.throws(() => RankTable.read(good, "0".repeat(64)), /made from source [0-9a-f]{64}, not 0{64} \(stale\)/);
  // a file that cannot be used is left aside: the loaders then build the table in memory
  const dir = tempDir("acc-rank-table-");
  for (const [what, bytes] of cases) {
    writeFileSync(join(dir, "t.bin"), bytes);
    assert.equal(await rankTableFile(join(dir, "t.bin"), meta.sourceSha256), undefined, what);
  }
  assert.equal(await rankTableFile(join(dir, "missing.bin"), meta.sourceSha256), undefined);
  writeFileSync(join(dir, "t.bin"), good);
  assert.equal(await rankTableFile(join(dir, "t.bin"), "0".repeat(64)), undefined);
});

test("every id decodes to tiktoken's bytes for it, and the ids tiktoken does not know are unknown", async () => {
  for (const name of NAMES) {
    const { ranks, meta } = name === "qwen3" ? await qwen3RankSource() : (await bundledRankSources()).get(name)!;
    const table = RankTable.read(rankTableBytes(ranks, meta), meta.sourceSha256);
    const tokenizer = await load(name);
    const bpe = new Tiktoken(ranks, Object.fromEntries(tokenizer.specialTokens.all), meta.pattern);
    let known = 0;
    for (let id = 0; id < table.size + 400; id++) {
      let expected: Uint8Array | undefined;
      try {
        expected = bpe.decode_single_token_bytes(id);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        assert.throws(() => tokenizer.decode([id]), /is not in the vocabulary/, `${name}: ${id}`);
        continue;
      }
      known++;
      assert.deepEqual(Buffer.from(table.blob.subarray(table.offsets[id]!, table.offsets[id + 1]!)).equals(Buffer.from(expected)) || tokenizer.specialTokens.all.get(new TextDecoder().decode(expected)) === id, true, `${name}: ${id}`);
    }
    assert.ok(known >= table.size, `${name}: ${known} ids known`);
    // no bpe.free(): after a throw inside tiktoken, wasm-bindgen counts the instance as still borrowed
  }
});

test("a piece that is a token is that token even where merging its bytes never reaches it, as in tiktoken", () => {
  // the 256 bytes, abc and abcabc: no pair of abc's bytes is a token, so only tiktoken's whole-piece rule gives 256
  const tokens = [...Array.from({ length: 256 }, (_, byte) => Buffer.from([byte])), Buffer.from("abc"), Buffer.from("abcabc")];
  const ranks = tokens.map((bytes, rank) => `${bytes.toString("base64")} ${rank}`).join("\n");
  const pattern = "[a-z]+";
  const table = RankTable.read(rankTableBytes(ranks, { sourceSha256: "tiny", pattern, nfc: false, specialTokens: {} }), "tiny");
  const bpe = new Tiktoken(ranks, {}, pattern);
  const heap = new HeapBpe(table);
  for (const piece of ["abc", "ab", "abcabc", "abcab", "cba"]) {
    const expected = [...bpe.encode_ordinary(piece)];
    assert.deepEqual(new TableBpe(table).encodePiece(piece), expected, piece);
    const ids: number[] = [];
    heap.encodePiece(piece, ids);
    assert.deepEqual(ids, expected, piece);
  }
  assert.deepEqual(new TableBpe(table).encodePiece("abc"), [256]);
  bpe.free();
});

/**
 * Strings of random code points: any BMP unit (lone surrogates too), astral characters, and Latin-1 "bytes".
 * The astral ones include CJK Extension J and Sidetic (Unicode 17.0), letters to V8's regexes (Node 20.20's
 * Unicode 17.0) and unassigned to tiktoken's (16.0): jsPreTokenizer reads them as tiktoken does.
 */
function randomStrings(count: number, seed: number): string[] {
  const random = new Random(seed, "rank-table");
  const char = (kind: number): string => {
    if (kind === 0) return String.fromCharCode(random.int(0, 255));
    if (kind === 1) return String.fromCharCode(random.int(0, 0xffff));
    if (kind === 2) return String.fromCodePoint(random.pick([random.int(0x1f300, 0x1f5ff), random.int(0x20000, 0x2a6d6), random.int(0x1d400, 0x1d7ff), random.int(0x323b0, 0x33479), random.int(0x10940, 0x10959)]));
    return String.fromCharCode(random.int(0x20, 0x7e));
  };
  return Array.from({ length: count }, () => {
    const kind = random.int(0, 3);
    return Array.from({ length: random.int(1, 80) }, () => char(random.int(0, 4) === 0 ? random.int(0, 3) : kind)).join("");
  });
}

/** Runs of one or two units, short and long (HeapBpe past 256 characters, the short merge below). */
function runs(): string[] {
  const units = [" ", "  a", "\n", "\t ", "=", "字", "字符", "😀", "é", "a", "1", "\u3000", "-=", "\r\n"];
  return units.flatMap((unit) => [3, 40, 255, 256, 257, 700, 3_000].map((length) => unit.repeat(length)));
}

test("o200k_base, cl100k_base and Qwen3 give tiktoken's ids on random byte and Unicode strings, fuzz text and long runs", async () => {
  for (const name of NAMES) {
    const tokenizer = await load(name);
    const bpe = await reference(name, tokenizer);
    for (const text of [...randomStrings(3_000, 17), ...fuzzStrings(1_000, 41, 10), ...runs()]) {
      const expected = bpe.encode(text);
      assert.deepEqual(tokenizer.encode(text), expected, `${name}: ${JSON.stringify(text.slice(0, 200))}`);
      assert.equal(tokenizer.count(text), expected.length, `${name}: ${JSON.stringify(text.slice(0, 200))}`);
    }
  }
});

test("o200k_base, cl100k_base and Qwen3 give tiktoken's ids on every file of the real samples", { skip: SAMPLES_MISSING }, async () => {
  const files = (dir: string): string[] => readdirSync(dir).sort().flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
  const texts = files(SAMPLES_DIR).map((file) => [file, readFileSync(file, "utf8")] as const);
  assert.ok(texts.length >= 20, `${texts.length} sample files`);
  for (const name of NAMES) {
    const tokenizer = await load(name);
    const bpe = await reference(name, tokenizer);
    for (const [file, text] of texts) {
      const expected = bpe.encode(text);
      const ids = tokenizer.encode(text);
      const first = ids.findIndex((id, i) => id !== expected[i]);
      assert.ok(first === -1 && ids.length === expected.length, `${name}: ${file}: first difference at token ${first} of ${expected.length}`);
      assert.equal(tokenizer.count(text), expected.length, `${name}: ${file}`);
    }
  }
});
