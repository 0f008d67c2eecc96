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
  const tokens: Uint8Array[] = [];
  let blobBytes = 0;
  for (const line of ranks.split("\n")) {
    const parts = line.split(" ");
    if (parts.length < 2) continue;
    const [texts, first] = parts.length === 2 ? [[parts[0]!], Number(parts[1])] : [parts.slice(2), Number(parts[1])];
    texts.forEach((text, i) => {
      const rank = first + i;
      // invariant: rank texts are acc's own files (checked against their pinned sha256) or converted from a checked tokenizer.json
      if (!Number.isInteger(rank) || rank < 0 || rank >= MAX_RANKS) throw new Error(`rank text: bad rank in line "${line.slice(0, 80)}"`);
      // invariant: as above
      if (tokens[rank] !== undefined) throw new Error(`rank text: rank ${rank} given twice`);
      const bytes = Buffer.from(text, "base64");
      // invariant: as above
      if (bytes.length === 0) throw new Error(`rank text: "${text}" is not base64 of a token`);
      tokens[rank] = bytes;
      blobBytes += bytes.length;
    });
  }
  const size = tokens.length;
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
    const bytes = tokens[rank];
    if (bytes === undefined) continue;
    blob.set(bytes, offset);
    offset += bytes.length;
    let slot = fnv1a(bytes, 0, bytes.length) & (slots - 1);
    while (table[slot] !== EMPTY) {
      const other = table[slot]!;
      // invariant: as above (tiktoken would keep one of the two)
      if (Buffer.compare(blob.subarray(offsets[other]!, offsets[other + 1] ?? offset), bytes) === 0) throw new Error(`rank text: ranks ${other} and ${rank} are the same bytes`);
      slot = (slot + 1) & (slots - 1);
    }
    table[slot] = rank;
    offsets[rank + 1] = offset;
  }
  offsets[size] = offset;
  out.set(createHash("sha256").update(out.subarray(PREFIX_BYTES)).digest(), 16);
  return out;
}

/** Ranks are below 2^21 (HeapBpe keys pairs of ranks in a double). */
const MAX_RANKS = 2 ** 21;

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
