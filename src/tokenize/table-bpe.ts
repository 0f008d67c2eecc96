import type { RankTable } from "./rank-table.js";

const NONE = -1;

/**
 * tiktoken's byte-pair merge of one short piece (its `byte_pair_merge`), over a rank table: the piece
 * whole when it is a token; else, starting from its bytes, the adjacent pair whose joined bytes have the
 * lowest rank is merged, the leftmost among equals, until no pair is a token. Each step rescans the
 * parts, as tiktoken does (quadratic: long pieces go to HeapBpe). Pairs are looked up as byte ranges of
 * the piece's UTF-8, so no string is made per lookup.
 */
export class TableBpe {
  private bytes = new Uint8Array(0);
  // Per part, kept between pieces (grown with `bytes`): its first byte, the rank of its pair with the next part, its token.
  private start = new Int32Array(0);
  private pairRank = new Int32Array(0);
  private token = new Int32Array(0);

  constructor(private readonly table: RankTable) {
    this.grow(768);
  }

  /** The ids of one pre-tokenized piece, as tiktoken's `encode_ordinary` gives them. */
  encodePiece(piece: string): number[] {
    const n = this.utf8(piece);
    const { table, bytes } = this;
    if (n <= table.longestToken) {
      const whole = table.rank(bytes, 0, n);
      if (whole !== NONE) return [whole];
    }
    const { start, pairRank, token } = this;
    for (let i = 0; i < n; i++) {
      start[i] = i;
      token[i] = table.byteRank[bytes[i]!]!;
      pairRank[i] = i + 1 < n ? table.rank(bytes, i, i + 2) : NONE;
    }
    start[n] = n;
    let parts = n;
    for (;;) {
      let best = NONE;
      let bestRank = 0x7fffffff;
      for (let i = 0; i + 1 < parts; i++) {
        const rank = pairRank[i]!;
        if (rank !== NONE && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best === NONE) break;
      token[best] = bestRank;
      start.copyWithin(best + 1, best + 2, parts + 1);
      pairRank.copyWithin(best + 1, best + 2, parts);
      token.copyWithin(best + 1, best + 2, parts);
      parts--;
      pairRank[best] = best + 1 < parts ? this.rankOf(start[best]!, start[best + 2]!) : NONE;
      if (best > 0) pairRank[best - 1] = this.rankOf(start[best - 1]!, start[best + 1]!);
    }
    return Array.from(token.subarray(0, parts));
  }

  private rankOf(from: number, to: number): number {
    return to - from > this.table.longestToken ? NONE : this.table.rank(this.bytes, from, to);
  }

  /**
   * Writes the piece's UTF-8 into `this.bytes` (lone surrogates as U+FFFD, as TextEncoder does) and returns its
   * length. By hand, unlike HeapBpe's long pieces: `TextEncoder.encodeInto` costs 58–75 ns a short piece
   * against 18 for this loop (200,000 pieces of a few characters, measured).
   */
  private utf8(piece: string): number {
    if (this.bytes.length < 3 * piece.length) this.grow(3 * piece.length);
    const bytes = this.bytes;
    let n = 0;
    for (let i = 0; i < piece.length; i++) {
      let code = piece.charCodeAt(i);
      if (code < 0x80) {
        bytes[n++] = code;
        continue;
      }
      if (code < 0x800) {
        bytes[n++] = 0xc0 | (code >> 6);
        bytes[n++] = 0x80 | (code & 0x3f);
        continue;
      }
      if (code >= 0xd800 && code < 0xe000) {
        const low = code < 0xdc00 && i + 1 < piece.length ? piece.charCodeAt(i + 1) : 0;
        if (low >= 0xdc00 && low < 0xe000) {
          i++;
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          bytes[n++] = 0xf0 | (code >> 18);
          bytes[n++] = 0x80 | ((code >> 12) & 0x3f);
          bytes[n++] = 0x80 | ((code >> 6) & 0x3f);
          bytes[n++] = 0x80 | (code & 0x3f);
          continue;
        }
        code = 0xfffd;
      }
      bytes[n++] = 0xe0 | (code >> 12);
      bytes[n++] = 0x80 | ((code >> 6) & 0x3f);
      bytes[n++] = 0x80 | (code & 0x3f);
    }
    return n;
  }

  private grow(size: number): void {
    this.bytes = new Uint8Array(size);
    this.start = new Int32Array(size + 1);
    this.pairRank = new Int32Array(size + 1);
    this.token = new Int32Array(size + 1);
  }
}
