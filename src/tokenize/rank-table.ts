import { createHash } from "node:crypto";
import type { ErrorCode } from "../errors/codes.js";
import { TokenizerError } from "./errors.js";

/**
 * A BPE rank table as bytes (docs/tokenizers.md#rank-tables): an open-addressing hash table from a token's
 * bytes to its rank, over the tokens' bytes laid end to end in rank order. Loading one is a read and a few
 * typed-array views; building tiktoken's (or a JavaScript Map) from the rank text cost ~200–330 CPU-ms per
 * process. The same bytes are made from the rank text when no file is at hand (`rankTableBytes`).
 *
 * Layout (little-endian, every section at a multiple of 4 bytes):
 *   0   "ACCRANKS"                    magic
 *   8   u32 version                   RANK_TABLE_VERSION
 *   12  u32 H                         length of the header JSON
 *   16  32 bytes                      sha256 of everything from byte 48 on
 *   48  H bytes, space-padded to 4    header JSON: RankTableHeader
 *   …   u32[tokens + 1]               offsets: rank r's bytes are blob[offsets[r], offsets[r + 1]) (empty: no token)
 *   …   i32[slots]                    hash slots: a rank, or -1; FNV-1a of the bytes, linear probing
 *   …   u8[blobBytes]                 blob
 */
export const RANK_TABLE_VERSION = 1;
const MAGIC = "ACCRANKS";
const PREFIX_BYTES = 48;
const EMPTY = -1;

/** What a table says of itself: where it came from, and the tokenizer's settings that go with the ranks. */
export interface RankTableMeta {
  /** sha256 of the source the ranks were read from: a table whose source has another hash is stale. */
  sourceSha256: string;
  /** The pre-tokenizer pattern (tiktoken's syntax). */
  pattern: string;
  /** Whether text is NFC-normalised before splitting. */
  nfc: boolean;
  /** Special tokens that are part of the encoding itself (OpenAI's); empty when the caller has its own. */
  specialTokens: Record<string, number>;
}

interface RankTableHeader extends RankTableMeta {
  tokens: number;
  slots: number;
  blobBytes: number;
}

/** A rank table read from its bytes. Lookups take a byte range: no string is made per lookup. */
export class RankTable {
  readonly meta: RankTableMeta;
  /** Number of ranks (the highest rank + 1). */
  readonly size: number;
  /** Rank of each single byte. */
  readonly byteRank = new Int32Array(256);
  /** The longest token's length in bytes: longer byte runs are looked up no further. */
  readonly longestToken: number;
  readonly offsets: Uint32Array;
  readonly blob: Uint8Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  private constructor(header: RankTableHeader, offsets: Uint32Array, slots: Int32Array, blob: Uint8Array) {
    const { tokens, slots: _slots, blobBytes: _blob, ...meta } = header;
    this.meta = meta;
    this.size = tokens;
    this.offsets = offsets;
    this.slots = slots;
    this.blob = blob;
    this.mask = slots.length - 1;
    let longest = 0;
    for (let rank = 0; rank < tokens; rank++) longest = Math.max(longest, offsets[rank + 1]! - offsets[rank]!);
    this.longestToken = longest;
    const byte = new Uint8Array(1);
    for (let value = 0; value < 256; value++) {
      byte[0] = value;
      const rank = this.rank(byte, 0, 1);
      if (rank === EMPTY) throw new RankTableError(`byte ${value} has no rank`);
      this.byteRank[value] = rank;
    }
  }

  /**
   * The table in `bytes` when it is whole, of this version and made from the source whose sha256 is
   * `sourceSha256`; otherwise a RankTableError saying why. The typed arrays are views over `bytes`.
   */
  static read(bytes: Uint8Array, sourceSha256: string): RankTable {
    if (bytes.length < PREFIX_BYTES || latin1(bytes, 0, 8) !== MAGIC) throw new RankTableError("not a rank table (no ACCRANKS magic)");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint32(8, true);
    if (version !== RANK_TABLE_VERSION) throw new RankTableError(`rank table version ${version}, not ${RANK_TABLE_VERSION}`);
    const headerBytes = view.getUint32(12, true);
    if (PREFIX_BYTES + headerBytes > bytes.length) throw new RankTableError("rank table cut short");
    const digest = createHash("sha256").update(bytes.subarray(PREFIX_BYTES)).digest();
    if (!digest.equals(bytes.subarray(16, PREFIX_BYTES))) throw new RankTableError("rank table damaged (its checksum does not match)");
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes))) as RankTableHeader;
    if (header.sourceSha256 !== sourceSha256) throw new RankTableError(`rank table made from source ${header.sourceSha256}, not ${sourceSha256} (stale)`);
    const offsetsAt = PREFIX_BYTES + padded(headerBytes);
    const slotsAt = offsetsAt + 4 * (header.tokens + 1);
    const blobAt = slotsAt + 4 * header.slots;
    if (blobAt + header.blobBytes !== bytes.length) throw new RankTableError("rank table sections do not add up to its length");
    // Int32Array views need 4-byte alignment: a Buffer from readFile starts its own ArrayBuffer, a slice may not.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    const at = (offset: number) => aligned.byteOffset + offset;
    return new RankTable(
      header,
      new Uint32Array(aligned.buffer, at(offsetsAt), header.tokens + 1),
      new Int32Array(aligned.buffer, at(slotsAt), header.slots),
      new Uint8Array(aligned.buffer, at(blobAt), header.blobBytes),
    );
  }

  /** The rank of the bytes `bytes[start, end)`, or -1 when they are no token. */
  rank(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const { slots, offsets, blob, mask } = this;
    for (let slot = fnv1a(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
      const rank = slots[slot]!;
      if (rank === EMPTY) return EMPTY;
      const from = offsets[rank]!;
      if (offsets[rank + 1]! - from !== length) continue;
      let i = 0;
      while (i < length && blob[from + i] === bytes[start + i]) i++;
      if (i === length) return rank;
    }
  }

  /** Whether `rank` stands for a token. */
  has(rank: number): boolean {
    return Number.isInteger(rank) && rank >= 0 && rank < this.size && this.offsets[rank + 1]! > this.offsets[rank]!;
  }
}

/** A rank table that cannot be used: damaged, of another version or stale (the loaders then build it in memory). */
export class RankTableError extends TokenizerError {
  override name = "RankTableError";
  protected override defaultCode(): ErrorCode {
    return "tokenizer-damaged";
  }
}

/**
 * The table of tiktoken's rank text (`base64 rank` lines, or the packed lines of the encodings shipped with
 * the tiktoken package: `name first-rank base64 base64 …`, consecutive ranks), as `RankTable.read` reads it.
 * The same text and meta give the same bytes.
 */
export function rankTableBytes(ranks: string, meta: RankTableMeta): Uint8Array {
  // Each token's bytes decoded into one scratch buffer: a Buffer per token and the text split into strings took twice as long.
  const decoded = new Uint8Array(ranks.length);
  let used = 0;
  // Where each rank's bytes start and end in `decoded` (-1: no such rank), grown as ranks come, in any order.
  let tokenStart = new Int32Array(1 << 16).fill(-1);
  let tokenEnd = new Int32Array(1 << 16);
  let size = 0;
  let blobBytes = 0;
  // One pass over the text, no string per token: a line is `base64 rank`, or `name first-rank base64 base64 …`.
  const add = (rank: number, from: number, to: number) => {
    // invariant: rank texts are acc's own files (checked against their pinned sha256) or converted from a checked tokenizer.json
    if (!Number.isInteger(rank) || rank < 0 || rank >= MAX_RANKS) throw new Error(`rank text: bad rank ${rank}`);
    if (rank >= tokenStart.length) {
      const length = Math.max(2 * tokenStart.length, rank + 1);
      const grownStart = new Int32Array(length).fill(-1);
      grownStart.set(tokenStart);
      const grownEnd = new Int32Array(length);
      grownEnd.set(tokenEnd);
      [tokenStart, tokenEnd] = [grownStart, grownEnd];
    }
    // invariant: as above
    if (tokenStart[rank] !== -1) throw new Error(`rank text: rank ${rank} given twice`);
    const end = decodeBase64(ranks, from, to, decoded, used);
    // invariant: as above
    if (end === used) throw new Error(`rank text: "${ranks.slice(from, to)}" is not base64 of a token`);
    tokenStart[rank] = used;
    tokenEnd[rank] = end;
    size = Math.max(size, rank + 1);
    blobBytes += end - used;
    used = end;
  };
  for (let lineStart = 0; lineStart < ranks.length; ) {
    let lineEnd = ranks.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = ranks.length;
    const firstSpace = ranks.indexOf(" ", lineStart);
    if (firstSpace !== -1 && firstSpace < lineEnd) {
      let secondSpace = ranks.indexOf(" ", firstSpace + 1);
      if (secondSpace === -1 || secondSpace > lineEnd) secondSpace = lineEnd;
      const number = Number(ranks.slice(firstSpace + 1, secondSpace));
      if (secondSpace === lineEnd) add(number, lineStart, firstSpace);
      else {
        let rank = number;
        for (let from = secondSpace + 1; from < lineEnd; rank++) {
          let to = ranks.indexOf(" ", from);
          if (to === -1 || to > lineEnd) to = lineEnd;
          add(rank, from, to);
          from = to + 1;
        }
      }
    }
    lineStart = lineEnd + 1;
  }
  let slots = 1;
  while (slots < 2 * size) slots *= 2;
  const headerText = new TextEncoder().encode(JSON.stringify({ ...meta, tokens: size, slots, blobBytes } satisfies RankTableHeader));
  const offsetsAt = PREFIX_BYTES + padded(headerText.length);
  const slotsAt = offsetsAt + 4 * (size + 1);
  const blobAt = slotsAt + 4 * slots;
  const out = new Uint8Array(blobAt + blobBytes);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, RANK_TABLE_VERSION, true);
  view.setUint32(12, headerText.length, true);
  out.set(headerText, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + headerText.length, offsetsAt);
  const offsets = new Uint32Array(out.buffer, offsetsAt, size + 1);
  const table = new Int32Array(out.buffer, slotsAt, slots).fill(EMPTY);
  const blob = new Uint8Array(out.buffer, blobAt, blobBytes);
  let offset = 0;
  for (let rank = 0; rank < size; rank++) {
    offsets[rank] = offset;
    const start = tokenStart[rank]!;
    if (start === -1) continue;
    const length = tokenEnd[rank]! - start;
    blob.set(decoded.subarray(start, start + length), offset);
    let slot = fnv1a(decoded, start, start + length) & (slots - 1);
    for (let other = table[slot]!; other !== EMPTY; other = table[slot]!) {
      // invariant: as above (tiktoken would keep one of the two)
      if (sameBytes(blob, offsets[other]!, offsets[other + 1]!, offset, length)) throw new Error(`rank text: ranks ${other} and ${rank} are the same bytes`);
      slot = (slot + 1) & (slots - 1);
    }
    table[slot] = rank;
    offset += length;
    offsets[rank + 1] = offset;
  }
  offsets[size] = offset;
  out.set(createHash("sha256").update(out.subarray(PREFIX_BYTES)).digest(), 16);
  return out;
}

/** Ranks are below 2^21: HeapBpe keys a pair of ranks as `left * MAX_RANKS + right`, exact in a double. */
export const MAX_RANKS = 2 ** 21;

const BASE64_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].forEach((char, i) => {
    table[char.charCodeAt(0)] = i;
  });
  return table;
})();

/** Decodes the base64 of `text[from, to)` into `out` from `at`; returns where the bytes end. */
function decodeBase64(text: string, from: number, to: number, out: Uint8Array, at: number): number {
  let bits = 0;
  let value = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === 61) break; // "="
    const digit = code < 128 ? BASE64_VALUE[code]! : -1;
    // invariant: as in rankTableBytes
    if (digit < 0) throw new Error(`rank text: "${text.slice(from, to)}" is not base64`);
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return at;
}

/** Whether blob[from, to) is the `length` bytes at `at`. */
function sameBytes(blob: Uint8Array, from: number, to: number, at: number, length: number): boolean {
  if (to - from !== length) return false;
  for (let i = 0; i < length; i++) if (blob[from + i] !== blob[at + i]) return false;
  return true;
}

function padded(length: number): number {
  return (length + 3) & ~3;
}

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return (hash ^ (hash >>> 15)) >>> 0;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}
