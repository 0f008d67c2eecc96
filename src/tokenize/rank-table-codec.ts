import { TextRuns } from "./added-tokens.js";
import { asciiPieces } from "./ascii-pieces.js";
import { HeapBpe } from "./heap-bpe.js";
import { jsPreTokenizer, PieceCoder, splitsAtLines } from "./pieces.js";
import { RankTable, rankTableBytes } from "./rank-table.js";
import { TableBpe } from "./table-bpe.js";
import { TiktokenCodec } from "./tiktoken-bpe.js";
import type { TokenCodec } from "./tokenizer.js";

/** `ignoreBOM` keeps a leading U+FEFF: it is text the tokens stand for, not a byte-order mark to drop. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * tiktoken's BPE over a rank table, in JavaScript, giving tiktoken's ids: the text is split into pieces
 * by the encoding's pre-tokenizer (PieceCoder, which remembers short pieces), short pieces are merged as
 * tiktoken merges them (TableBpe), long ones in O(n log n) (HeapBpe). Added tokens as TextRuns finds
 * them. The table's pattern must read the same in JavaScript (`jsPreTokenizer`; see `ranksCodec`).
 */
export class RankTableCodec implements TokenCodec {
  private readonly runs: TextRuns;
  private readonly pieces: PieceCoder;
  private readonly specialBytes = new Map<number, Uint8Array>();

  /** `preTokenizer`: the table's pattern in JavaScript, when the caller has it already. */
  constructor(
    private readonly table: RankTable,
    options: { specialTokens: ReadonlyMap<string, number>; splitAddedTokens: boolean },
    preTokenizer = jsPreTokenizer(table.meta.pattern),
  ) {
    const { pattern, nfc } = table.meta;
    this.runs = new TextRuns(options.specialTokens, options.splitAddedTokens, nfc);
    const short = new TableBpe(table);
    let heap: HeapBpe | undefined;
    this.pieces = new PieceCoder(
      preTokenizer,
      { short: (piece) => short.encodePiece(piece), long: () => (heap ??= new HeapBpe(table)) },
      splitsAtLines(pattern),
      asciiPieces(pattern, preTokenizer),
    );
    const encoder = new TextEncoder();
    for (const [text, id] of options.specialTokens) this.specialBytes.set(id, encoder.encode(text));
  }

  encode(text: string): number[] {
    return this.runs.encode(text, (run, ids) => this.pieces.encode(run, ids));
  }

  count(text: string): number {
    return this.runs.count(text, (run) => this.pieces.count(run));
  }

  decode(ids: readonly number[]): string {
    const { offsets, blob } = this.table;
    const parts = ids.map((id) => this.specialBytes.get(id) ?? blob.subarray(offsets[id]!, offsets[id + 1]!));
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return utf8.decode(bytes);
  }

  /** A token of the table, or a special token (as tiktoken's decoder knows both). */
  isKnownId(id: number): boolean {
    return this.specialBytes.has(id) || this.table.has(id);
  }
}

/**
 * The codec of tiktoken ranks converted from a tokenizer.json: over a rank table built from them when
 * the pattern reads the same in JavaScript, else tiktoken itself.
 */
export function ranksCodec(
  source: { ranks: string; pattern: string; nfc: boolean; sourceSha256: string },
  options: { specialTokens: ReadonlyMap<string, number>; splitAddedTokens: boolean },
): TokenCodec {
  const preTokenizer = jsPreTokenizerOrUndefined(source.pattern);
  if (preTokenizer === undefined) return new TiktokenCodec({ ...source, ...options });
  const { ranks, ...meta } = source;
  const table = RankTable.read(rankTableBytes(ranks, { ...meta, specialTokens: {} }), meta.sourceSha256);
  return new RankTableCodec(table, options, preTokenizer);
}

function jsPreTokenizerOrUndefined(pattern: string): RegExp | undefined {
  try {
    return jsPreTokenizer(pattern);
  } catch {
    return undefined;
  }
}
