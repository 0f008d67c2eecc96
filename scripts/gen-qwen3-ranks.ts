// Writes assets/tokenizers/qwen3/tokenizer.tiktoken.json.gz: the bundled tokenizer.json converted to
// tiktoken ranks (merges verified), which loadQwen3 reads instead of converting in every process.
// Prints the sha256 to pin in src/tokenize/qwen3.ts.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { tiktokenRanksFrom } from "../src/tokenize/bpe-ranks.js";
import { QWEN3_DIR, QWEN3_RANKS_FILE, QWEN3_TOKENIZER_SHA256 } from "../src/tokenize/qwen3.js";
import { asTokenizerJson } from "../src/tokenize/tokenizer-json.js";

const bytes = gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz")));
if (createHash("sha256").update(bytes).digest("hex") !== QWEN3_TOKENIZER_SHA256) throw new Error("tokenizer.json.gz is not the pinned file");
const conversion = tiktokenRanksFrom(asTokenizerJson(JSON.parse(bytes.toString("utf8")), "tokenizer.json"), { verifyMerges: true });
if (!conversion.ok) throw new Error(conversion.reason);
const text = `${JSON.stringify({ pattern: conversion.pattern, nfc: conversion.nfc, ranks: conversion.ranks })}\n`;
writeFileSync(join(QWEN3_DIR, QWEN3_RANKS_FILE), gzipSync(text, { level: 9 }));
console.log(`${QWEN3_RANKS_FILE}: ${text.length} bytes, sha256 ${createHash("sha256").update(text).digest("hex")}`);
