import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { AccError } from "../../src/errors/acc-error.js";
import { BYTE_LEVEL_CHARS } from "../../src/tokenize/byte-level.js";
import { tiktokenRanksFrom } from "../../src/tokenize/bpe-ranks.js";
import { ChatTemplateError } from "../../src/tokenize/errors.js";
import { loadPinnedTokenizer, loadStoredRanks, loadTokenizer } from "../../src/tokenize/hf-dir.js";
import { QWEN3_CHAT_TEMPLATE_SHA256, QWEN3_DIR, QWEN3_RANKS_FILE, QWEN3_RANKS_SHA256, QWEN3_TOKENIZER_SHA256, loadQwen3, qwen3RankSource } from "../../src/tokenize/qwen3.js";
import { bundledRankTable } from "../../src/tokenize/rank-table-files.js";
import { resolveTokenizer } from "../../src/tokenize/resolve.js";
import { TiktokenCodec } from "../../src/tokenize/tiktoken-bpe.js";
import type { TokenizerJson } from "../../src/tokenize/tokenizer-json.js";
import { tempDir } from "../helpers/collect.js";
import { pythonMissing } from "../helpers/python.js";
import { fuzzStrings } from "./fuzz-text.js";
import { pythonTokenizersEncode, qwen3TokenizerJsonText } from "./reference.js";

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

test("bundled Qwen3 files: SHA256SUMS holds, tokenizer.json and the chat template have the published hashes", () => {
  for (const line of readFileSync(join(QWEN3_DIR, "SHA256SUMS"), "utf8").trim().split("\n")) {
    const [hash, file] = line.split(/\s+/) as [string, string];
    assert.equal(sha256(readFileSync(join(QWEN3_DIR, file))), hash, file);
  }
  const json = gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz")));
  assert.equal(json.length, 11_422_654);
  assert.equal(sha256(json), QWEN3_TOKENIZER_SHA256);
  const template = JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")).chat_template as string;
  assert.equal(Buffer.byteLength(template), 4_168);
  assert.equal(sha256(template), QWEN3_CHAT_TEMPLATE_SHA256);
});

test("Qwen3's ranks reproduce all 151,387 merges, and the stored ranks loadQwen3 reads are that conversion", () => {
  const json = JSON.parse(qwen3TokenizerJsonText());
  assert.equal(json.model.merges.length, 151_387);
  const conversion = tiktokenRanksFrom(json, { verifyMerges: true });
  assert.ok(conversion.ok, conversion.ok ? "" : conversion.reason);
  const stored = gunzipSync(readFileSync(join(QWEN3_DIR, QWEN3_RANKS_FILE)));
  assert.equal(sha256(stored), QWEN3_RANKS_SHA256);
  assert.deepEqual(JSON.parse(stored.toString("utf8")), { pattern: conversion.pattern, nfc: conversion.nfc, ranks: conversion.ranks }, "rerun npm run tokenizers:ranks");
});

test("loadQwen3 (stored ranks) and a load of tokenizer.json itself give the same tokenizer", async () => {
  const stored = await loadQwen3();
  const converted = await loadPinnedTokenizer(QWEN3_DIR, { name: "qwen3", sha256: QWEN3_TOKENIZER_SHA256 });
  assert.deepEqual(stored.info, converted.info);
  assert.deepEqual([...stored.specialTokens.all], [...converted.specialTokens.all]);
  assert.deepEqual(stored.specialTokens, converted.specialTokens);
  for (const text of ["<|im_start|>user\n<think>x</think> 北京 <tool_call>", ...fuzzStrings(200, 11)]) assert.deepEqual(stored.encode(text), converted.encode(text), JSON.stringify(text));
});

test("stored ranks with a damaged tokenizer_config.json: the bundle is named damaged, not loaded with a broken special token", async () => {
  const stored = await bundledRankTable("qwen3", QWEN3_RANKS_SHA256, qwen3RankSource);
  const config = JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8"));
  for (const [damage, expected] of [
    [(c: Record<string, unknown>) => delete c["added_tokens_decoder"], /no "added_tokens_decoder"/],
    [(c: { added_tokens_decoder: Record<string, unknown> }) => (c.added_tokens_decoder["151643"] = { text: "<|endoftext|>" }), /added_tokens_decoder entry 151643 is not \{content\}/],
    [(c: { added_tokens_decoder: Record<string, unknown> }) => (c.added_tokens_decoder["x"] = { content: "<x>" }), /added_tokens_decoder entry x is not \{content\}/],
  ] as const) {
    const dir = tempDir();
    const copy = structuredClone(config);
    damage(copy);
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(copy));
    await assert.rejects(loadStoredRanks(dir, stored, { name: "qwen3", tokenizerSha256: QWEN3_TOKENIZER_SHA256 }), (error: Error) => error instanceof AccError && expected.test(error.message));
  }
});

test("a pinned load refuses a tokenizer.json with another hash", async () => {
  await assert.rejects(loadPinnedTokenizer(QWEN3_DIR, { name: "qwen3", sha256: "0".repeat(64) }), /tokenizer\.json\.gz: sha256 aeb13307\S+ is not the pinned 0{64}/);
});

test("ids that do not rise with merge rank: falls back to @huggingface/tokenizers, still exact", async () => {
  const json = JSON.parse(qwen3TokenizerJsonText());
  const [first, second] = json.model.merges.slice(0, 2).map((pair: [string, string]) => pair.join(""));
  const [a, b] = [json.model.vocab[first], json.model.vocab[second]] as [number, number];
  json.model.vocab[first] = b;
  json.model.vocab[second] = a;
  const dir = tempDir("acc-tokenize-");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(json));
  const swapped = await loadTokenizer(dir, { name: "swapped" });
  assert.equal(swapped.info.backend, "hf-tokenizers");
  assert.match(swapped.info.fallbackReason!, /do not rise with merge rank/);
  const qwen3 = await loadQwen3();
  const relabel = (id: number) => (id === a ? b : id === b ? a : id);
  for (const text of ["    x", "  y", "a\ud800b", ...fuzzStrings(100, 7)]) assert.deepEqual(swapped.encode(text), qwen3.encode(text).map(relabel), JSON.stringify(text));
  assert.equal(swapped.decode(swapped.encode("    indented <think>é")), "    indented <think>é");
});

/** A byte-level BPE with merges a+b, b+c, a+bc: "abc" is [ab, c] for the merges, but tiktoken would fuse ab+c. */
function tinyTokenizer(): TokenizerJson {
  const vocab: Record<string, number> = Object.fromEntries(BYTE_LEVEL_CHARS.map((char, byte) => [char, byte]));
  Object.assign(vocab, { ab: 256, bc: 257, abc: 258 });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: 259, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: "\\s+|\\S+" }, behavior: "Isolated", invert: false }, byteLevel] },
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [["a", "b"], ["b", "c"], ["a", "bc"]],
    },
  };
}

function tinyDir(config?: Record<string, unknown>): string {
  const dir = tempDir("acc-tokenize-");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizer()));
  if (config) writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(config));
  return dir;
}

test("the merge check: when tiktoken would build a token through another split, the loader falls back and follows the merges", async () => {
  const json = tinyTokenizer();
  const unchecked = tiktokenRanksFrom(json, { verifyMerges: false });
  assert.ok(unchecked.ok);
  const raw = new TiktokenCodec({ ...unchecked, specialTokens: new Map(), splitAddedTokens: false });
  assert.deepEqual(raw.encode("abc"), [258]); // what the unchecked conversion would have counted

  const tiny = await loadTokenizer(tinyDir());
  assert.equal(tiny.info.backend, "hf-tokenizers");
  assert.match(tiny.info.fallbackReason!, /merge 2 is not what tiktoken's merge loop gives/);
  const c = "c".charCodeAt(0);
  assert.deepEqual(tiny.encode("abc"), [256, c]);
  assert.deepEqual(tiny.encode("<s>abc bc"), [259, 256, c, BYTE_LEVEL_CHARS.indexOf("Ġ"), 257]);
  if (!pythonMissing("tokenizers")) {
    assert.deepEqual(pythonTokenizersEncode(JSON.stringify(json), ["abc", "<s>abc bc"]), [tiny.encode("abc"), tiny.encode("<s>abc bc")]);
  }
});

test("named chat templates: default, and tool_use when tools are given; chat_template.jinja takes precedence", async () => {
  const config = {
    bos_token: { content: "<s>", lstrip: false, normalized: false, rstrip: false, single_word: false },
    eos_token: "</s>",
    chat_template: [
      { name: "default", template: "D{{ messages|length }}{{ bos_token }}" },
      { name: "tool_use", template: "T{{ tools|length }}" },
    ],
  };
  const dir = tinyDir(config);
  const named = await loadTokenizer(dir);
  assert.equal(named.applyChatTemplate([{ role: "user", content: "x" }]), "D1<s>");
  assert.equal(named.applyChatTemplate([{ role: "user", content: "x" }], { tools: [{}, {}] }), "T2");
  assert.deepEqual(named.specialTokens.bos, { text: "<s>", id: 259 });
  assert.equal(named.specialTokens.eos, undefined); // "</s>" is three byte tokens here, not one token
  writeFileSync(join(dir, "chat_template.jinja"), "J{{ eos_token }}");
  assert.equal((await loadTokenizer(dir)).applyChatTemplate([]), "J</s>");
});

test("template globals: raise_exception names the file, no clock, extra variables reach the template", async () => {
  const template =
    "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}" +
    "{% if strftime_now is defined %}{{ strftime_now('%Y') }}{% elif date_string is defined %}{{ date_string }}{% else %}no clock{% endif %}" +
    "{% for i in range(3) %}{{ i }}{% endfor %}{{ add_generation_prompt }}";
  const dir = tinyDir({ chat_template: template });
  const tokenizer = await loadTokenizer(dir);
  assert.equal(tokenizer.applyChatTemplate([{ role: "user" }]), "no clock012False");
  assert.equal(tokenizer.applyChatTemplate([{ role: "user" }], { variables: { date_string: "26 Jul 2024" }, addGenerationPrompt: true }), "26 Jul 2024012True");
  assert.throws(
    () => tokenizer.applyChatTemplate([{ role: "assistant" }]),
    (error: Error) => error instanceof ChatTemplateError && error.message.includes(join(dir, "tokenizer_config.json")) && /first message must be from the user/.test(error.message),
  );
});

/** A refusal of the folder --tokenizer names: a usage error (exit 2, code "tokenizer") whose fix says what the flag takes, not an internal error. */
function notATokenizer(message: RegExp) {
  return (error: unknown) => AccError.isInstance(error) && error.exitCode === 2 && error.code === "tokenizer" && /--tokenizer qwen3/.test(error.fix ?? "") && message.test(error.message);
}

test("bad tokenizer directories fail with the file named, as usage errors saying what --tokenizer takes", async () => {
  const empty = tempDir("acc-tokenize-");
  await assert.rejects(loadTokenizer(empty), notATokenizer(new RegExp(`${empty}: no tokenizer.json`)));
  const broken = tempDir("acc-tokenize-");
  writeFileSync(join(broken, "tokenizer.json"), '{"model": {"type": "BPE"');
  await assert.rejects(loadTokenizer(broken), notATokenizer(new RegExp(`${join(broken, "tokenizer.json")}: invalid JSON`)));
  const notTokenizer = tempDir("acc-tokenize-");
  writeFileSync(join(notTokenizer, "tokenizer.json"), "[1, 2]");
  await assert.rejects(loadTokenizer(notTokenizer), notATokenizer(/tokenizer\.json: not a tokenizer\.json/));
  const noModel = tempDir("acc-tokenize-");
  writeFileSync(join(noModel, "tokenizer.json"), "{}");
  await assert.rejects(resolveTokenizer(noModel), notATokenizer(/tokenizer\.json: not a tokenizer\.json: at model: expected object, received nothing/));
  await assert.rejects(resolveTokenizer(join(noModel, "missing")), notATokenizer(/not one of qwen3, o200k_base, cl100k_base and not a directory/));
  const badTemplate = tinyDir({ chat_template: "{% if messages %}unclosed" });
  await assert.rejects(loadTokenizer(badTemplate), notATokenizer(new RegExp(`${join(badTemplate, "tokenizer_config.json")}: chat template does not parse`)));
  const badConfig = tinyDir();
  writeFileSync(join(badConfig, "tokenizer_config.json"), "{oops");
  await assert.rejects(loadTokenizer(badConfig), notATokenizer(/tokenizer_config\.json: invalid JSON/));
  const gz = tempDir("acc-tokenize-");
  writeFileSync(join(gz, "tokenizer.json.gz"), "not gzip");
  await assert.rejects(loadTokenizer(gz), notATokenizer(/tokenizer\.json\.gz: not a readable gzip file/));
  const noTemplate = await loadTokenizer(tinyDir());
  assert.equal(noTemplate.hasChatTemplate, false);
  assert.throws(() => noTemplate.applyChatTemplate([]), /has no chat template/);
});

test("a malformed tokenizer.json or tokenizer_config.json is refused with the file and the field, never a TypeError or a silent load", async () => {
  // each of these crashed with a TypeError or the backend's own Error (an internal error), or loaded a tokenizer that was not the file's
  const configs: [Record<string, unknown>, RegExp][] = [
    [{ additional_special_tokens: "<s>" }, /at additional_special_tokens: expected array, received string "<s>"/], // TypeError in the backend
    [{ bos_token: 5 }, /at bos_token: expected one of the allowed shapes, received number 5/], // loaded without its bos token
    [{ eos_token: { content: 5 } }, /at eos_token: expected one of the allowed shapes, received an object/], // loaded without its eos token
    [{ chat_template: [{ name: "default" }] }, /at chat_template: expected one of the allowed shapes/],
  ];
  for (const [config, field] of configs) {
    const dir = tinyDir(config);
    const path = join(dir, "tokenizer_config.json");
    await assert.rejects(loadTokenizer(dir), notATokenizer(new RegExp(`^${path}: not a tokenizer_config\\.json: ${field.source}`)), JSON.stringify(config));
  }
  const jsons: [(json: TokenizerJson) => void, RegExp][] = [
    [(json) => void (json.pre_tokenizer!.pretokenizers = [null as never, null as never]), /: not a tokenizer\.json: at pre_tokenizer\.pretokenizers\[0\]: expected object, received null/], // TypeError in the rank conversion
    [(json) => void (json.model.merges = "a b" as never), /: not a tokenizer\.json: at model\.merges: expected \["left right", …\] or \[\["left", "right"\], …\], received string "a b"/], // TypeError in the backend
    [(json) => void (json.model.vocab = ["a", "b"] as never), /: not a tokenizer\.json: at model\.vocab: expected {token: id} or \[\[piece, score\], …\], received an array of 2/], // loaded, encoding every text as []
    [(json) => void (json.normalizer = "NFC" as never), /: not a tokenizer\.json: at normalizer: expected object, received string "NFC"/], // the backend's Error
    [(json) => void (json.pre_tokenizer = { type: "Mystery" }), /: @huggingface\/tokenizers cannot load it: Unknown PreTokenizer type: Mystery/], // the backend's Error, which no schema of acc's can foresee
  ];
  for (const [mutate, message] of jsons) {
    const json = tinyTokenizer();
    mutate(json);
    const dir = tempDir("acc-tokenize-");
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(json));
    await assert.rejects(loadTokenizer(dir), notATokenizer(new RegExp(`^${join(dir, "tokenizer.json")}${message.source}`)), message.source);
  }
});

test("resolveTokenizer: bundled names, a directory path, and an unknown name", async () => {
  assert.equal((await resolveTokenizer("o200k_base")).info.backend, "tiktoken");
  const dir = join(tempDir("acc-tokenize-"), "my-tok");
  mkdirSync(dir);
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizer()));
  assert.equal((await resolveTokenizer(dir)).name, "my-tok");
  await assert.rejects(resolveTokenizer("qwen9"), /tokenizer "qwen9": not one of qwen3, o200k_base, cl100k_base and not a directory/);
});

test("an added token that reuses a vocabulary id is left to @huggingface/tokenizers", async () => {
  const json = tinyTokenizer();
  (json.added_tokens as { id: number }[])[0]!.id = 256;
  const conversion = tiktokenRanksFrom(json, { verifyMerges: false });
  assert.equal(conversion.ok ? "" : conversion.reason, 'added token "<s>" reuses vocabulary id 256');
});
