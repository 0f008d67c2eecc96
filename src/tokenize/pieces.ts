/**
 * Unicode White_Space, what `\s` means in tiktoken's Rust regexes. JavaScript's `\s` differs: it adds
 * U+FEFF and lacks U+0085.
 */
const WHITE_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

/**
 * Rust's `(?i:'s|'t|'re|'ve|'m|'ll|'d)` spelled out: Node 20's V8 has no inline flags, and Unicode
 * simple case folding also matches `ſ` (U+017F) for `s`.
 */
const CONTRACTIONS_RUST = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const CONTRACTIONS_JS = "(?:'[sS\\u017F]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

/**
 * A tiktoken pre-tokenizer pattern as an equivalent JavaScript regex (global, Unicode). Only the
 * constructs of the OpenAI patterns are translated; anything else that would read differently in
 * JavaScript is refused rather than guessed.
 */
export function jsPreTokenizer(pattern: string): RegExp {
  const source = pattern
    .replaceAll(CONTRACTIONS_RUST, CONTRACTIONS_JS)
    .replaceAll("[^\\s", `[^${WHITE_SPACE}`)
    .replaceAll("(?!\\S)", `(?![^${WHITE_SPACE}])`)
    .replaceAll("\\s", `[${WHITE_SPACE}]`);
  if (/\(\?[a-z]|\\[SdDwWbB]/.test(source)) throw new Error(`pre-tokenizer pattern not supported in JavaScript: ${pattern}`);
  return new RegExp(source, "gu");
}

/** Pieces up to this many characters are remembered (count and ids). */
const MAX_REMEMBERED_CHARS = 64;
/** Remembered pieces at most; the memory starts over when full. */
const MAX_REMEMBERED = 1 << 17;
/**
 * Pieces longer than this go to the long-piece encoder: tiktoken's merge loop is quadratic in a
 * piece's length, and past about this length the O(n log n) merge is faster.
 */
export const LONG_PIECE_CHARS = 256;

export interface PieceEncoders {
  /** Ids of a piece (tiktoken's `encode_ordinary` on the piece). */
  short(piece: string): ArrayLike<number>;
  /** The same for pieces longer than LONG_PIECE_CHARS, in O(n log n). */
  long(): { encodePiece(piece: string, out: number[]): void; countPiece(piece: string): number };
}

/**
 * Encodes and counts by splitting the text with the encoding's own pre-tokenizer and taking each
 * piece's BPE on its own, remembering short pieces. BPE never merges across pieces, so the pieces'
 * ids joined are the text's ids; text repeats its words (and GraphWalks its hex ids) so much that
 * most pieces are looked up rather than encoded, which makes this faster than encoding the whole
 * text, and long pieces (runs of spaces, `=`, CJK) go to an O(n log n) merge instead of tiktoken's
 * quadratic one.
 */
export class PieceCoder {
  private readonly counts = new Map<string, number>();
  private readonly ids = new Map<string, number[]>();

  constructor(
    private readonly splitter: RegExp,
    private readonly encoders: PieceEncoders,
  ) {}

  count(text: string): number {
    const splitter = this.splitter;
    let total = 0;
    splitter.lastIndex = 0;
    for (let match = splitter.exec(text); match !== null; match = splitter.exec(text)) {
      const piece = match[0];
      if (piece.length > MAX_REMEMBERED_CHARS) {
        total += piece.length > LONG_PIECE_CHARS ? this.encoders.long().countPiece(piece) : this.encoders.short(piece).length;
        continue;
      }
      let pieceCount = this.counts.get(piece);
      if (pieceCount === undefined) {
        pieceCount = this.encoders.short(piece).length;
        remember(this.counts, piece, pieceCount);
      }
      total += pieceCount;
    }
    return total;
  }

  encode(text: string, out: number[]): void {
    const splitter = this.splitter;
    splitter.lastIndex = 0;
    for (let match = splitter.exec(text); match !== null; match = splitter.exec(text)) {
      const piece = match[0];
      if (piece.length > LONG_PIECE_CHARS) {
        this.encoders.long().encodePiece(piece, out);
        continue;
      }
      let ids = piece.length > MAX_REMEMBERED_CHARS ? undefined : this.ids.get(piece);
      if (ids === undefined) {
        ids = Array.from(this.encoders.short(piece));
        if (piece.length <= MAX_REMEMBERED_CHARS) remember(this.ids, piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }
}

function remember<T>(memory: Map<string, T>, piece: string, value: T): void {
  if (memory.size >= MAX_REMEMBERED) memory.clear();
  memory.set(piece, value);
}
