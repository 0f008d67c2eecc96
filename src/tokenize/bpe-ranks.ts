import { BYTE_LEVEL_CHARS, byteLevelBytes } from "./byte-level.js";
import type { TokenizerJson } from "./tokenizer-json.js";

/** A tokenizer.json converted for tiktoken, or why it cannot be. */
export type RankConversion =
  | { ok: true; ranks: string; pattern: string; nfc: boolean }
  | { ok: false; reason: string };

/**
 * Converts a byte-level BPE tokenizer.json into tiktoken's input (ranks = token ids) when tiktoken's
 * algorithm then gives exactly the ids the Hugging Face tokenizer gives:
 * - the pipeline is NFC or no normalizer, one regex Split, ByteLevel bytes, plain BPE;
 * - the vocabulary is the 256 bytes plus one token per merge, ids rising with merge rank, and the
 *   added tokens have ids of their own;
 * - with `verifyMerges`, running tiktoken's merge loop on each merge's own bytes (ranks below the
 *   merge's) reproduces that merge. tiktoken merges the adjacent pair whose concatenation has the
 *   lowest rank; the Hugging Face model merges the adjacent pair with the lowest merge rank. They can
 *   only disagree where two pieces concatenate to a token other than through its merge, which this
 *   check rules out (docs/tokenizers.md has the argument).
 */
export function tiktokenRanksFrom(json: TokenizerJson, options: { verifyMerges: boolean }): RankConversion {
  const { model } = json;
  if (model.type !== "BPE") return fail(`model type ${String(model.type)} is not BPE`);
  if (model.dropout) return fail("BPE dropout is set");
  if (model.byte_fallback) return fail("BPE byte_fallback is set");
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return fail("BPE uses subword prefixes or suffixes");
  const normalizer = json.normalizer?.type;
  if (normalizer !== undefined && normalizer !== "NFC") return fail(`normalizer ${normalizer} is not NFC`);
  const pattern = splitPattern(json);
  if (pattern === undefined) return fail("pre-tokenizer is not one regex Split followed by ByteLevel");
  if (json.decoder?.type !== "ByteLevel") return fail("decoder is not ByteLevel");
  const unusual = (json.added_tokens ?? []).find((t) => t.lstrip || t.rstrip || t.single_word || t.normalized);
  if (unusual) return fail(`added token ${JSON.stringify(unusual.content)} uses lstrip, rstrip, single_word or normalized`);

  const vocab = model.vocab;
  const merges = model.merges;
  if (typeof vocab !== "object" || vocab === null || !Array.isArray(merges)) return fail("model has no vocab or merges");
  const ids = new Map<string, number>();
  for (const token in vocab) ids.set(token, (vocab as Record<string, number>)[token]!);
  if (ids.size !== 256 + merges.length) return fail(`vocabulary has ${ids.size} tokens, not 256 bytes + ${merges.length} merges`);
  const missingByte = BYTE_LEVEL_CHARS.findIndex((char) => !ids.has(char));
  if (missingByte >= 0) return fail(`byte ${missingByte} has no token`);
  const vocabIds = new Set(ids.values());
  const reused = (json.added_tokens ?? []).find((token) => vocabIds.has(token.id));
  if (reused) return fail(`added token ${JSON.stringify(reused.content)} reuses vocabulary id ${reused.id}`);

  const pairs = merges.map((merge) => (typeof merge === "string" ? splitMerge(merge) : merge));
  let previous = -1;
  for (let rank = 0; rank < pairs.length; rank++) {
    const pair = pairs[rank];
    const id = pair && ids.get(pair[0] + pair[1]);
    if (id === undefined) return fail(`merge ${rank} does not produce a vocabulary token`);
    if (id <= previous) return fail(`token ids do not rise with merge rank (merge ${rank})`);
    previous = id;
  }
  if (options.verifyMerges) {
    const rank = verifyMerges(pairs as [string, string][], ids);
    if (rank !== undefined) return fail(`merge ${rank} is not what tiktoken's merge loop gives for its bytes`);
  }
  const ranks = rankLines(ids);
  return typeof ranks === "string" ? { ok: true, ranks, pattern, nfc: normalizer === "NFC" } : ranks;
}

function fail(reason: string): RankConversion {
  return { ok: false, reason };
}

function splitMerge(merge: string): [string, string] | undefined {
  const space = merge.indexOf(" ");
  return space > 0 ? [merge.slice(0, space), merge.slice(space + 1)] : undefined;
}

function splitPattern(json: TokenizerJson): string | undefined {
  const pre = json.pre_tokenizer;
  if (pre?.type !== "Sequence" || pre.pretokenizers?.length !== 2) return undefined;
  const [split, byteLevel] = pre.pretokenizers as [NonNullable<typeof pre>, NonNullable<typeof pre>];
  const regex = split.pattern?.Regex;
  if (split.type !== "Split" || typeof regex !== "string" || split.behavior !== "Isolated" || split.invert) return undefined;
  if (byteLevel.type !== "ByteLevel" || byteLevel.use_regex || byteLevel.add_prefix_space) return undefined;
  return regex;
}

/** The first merge whose token tiktoken would build from other pieces, or undefined when none. */
function verifyMerges(pairs: readonly [string, string][], ids: ReadonlyMap<string, number>): number | undefined {
  const parts: string[] = [];
  for (let rank = 0; rank < pairs.length; rank++) {
    const [left, right] = pairs[rank]!;
    const token = left + right;
    const limit = ids.get(token)!;
    parts.length = 0;
    for (const char of token) parts.push(char);
    let count = parts.length;
    for (;;) {
      let best = -1;
      let bestRank = limit;
      for (let i = 0; i + 1 < count; i++) {
        const id = ids.get(parts[i]! + parts[i + 1]!);
        if (id !== undefined && id < bestRank) {
          bestRank = id;
          best = i;
        }
      }
      if (best < 0) break;
      parts[best] = parts[best]! + parts[best + 1]!;
      parts.copyWithin(best + 1, best + 2, count);
      count--;
    }
    if (count !== 2 || parts[0] !== left || parts[1] !== right) return rank;
  }
  return undefined;
}

/** tiktoken's rank file: one `base64(bytes) id` line per token. */
function rankLines(ids: ReadonlyMap<string, number>): string | RankConversion {
  let longest = 0;
  for (const token of ids.keys()) longest = Math.max(longest, token.length);
  const bytes = new Uint8Array(longest);
  const lines: string[] = [];
  for (const [token, id] of ids) {
    const length = byteLevelBytes(token, bytes);
    if (length < 0) return fail(`token ${JSON.stringify(token)} is not in the byte-level alphabet`);
    lines.push(`${base64(bytes, length)} ${id}`);
  }
  return lines.join("\n");
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 of a short byte run (faster than a Buffer per token for 150k tokens). */
function base64(bytes: Uint8Array, length: number): string {
  let out = "";
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[v >> 18]! + BASE64[(v >> 12) & 63]! + BASE64[(v >> 6) & 63]! + BASE64[v & 63]!;
  }
  if (length - i === 1) {
    const v = bytes[i]! << 16;
    out += `${BASE64[v >> 18]!}${BASE64[(v >> 12) & 63]!}==`;
  } else if (length - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${BASE64[v >> 18]!}${BASE64[(v >> 12) & 63]!}${BASE64[(v >> 6) & 63]!}=`;
  }
  return out;
}
