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
  if (/\(\?[a-z]|\\[SdDwWbB]/.test(source)) throw new Error(`pre-tokenizer pattern not supported for counting: ${pattern}`);
  return new RegExp(source, "gu");
}

/** Pieces longer than this are counted each time rather than remembered. */
const MAX_REMEMBERED_CHARS = 64;
/** Remembered pieces at most; the memory starts over when full. */
const MAX_REMEMBERED = 1 << 17;

/**
 * Counts tokens by splitting the text with the encoding's own pre-tokenizer and summing each piece's
 * BPE length, remembering the counts of short pieces. BPE never merges across pieces, so the sum is the
 * count of the whole text; text repeats its words (and GraphWalks its hex ids) so much that most pieces
 * are remembered, which makes counting several times faster than encoding.
 */
export class PieceCounter {
  private readonly remembered = new Map<string, number>();

  constructor(
    private readonly splitter: RegExp,
    private readonly countPiece: (piece: string) => number,
  ) {}

  count(text: string): number {
    const splitter = this.splitter;
    let total = 0;
    splitter.lastIndex = 0;
    for (let match = splitter.exec(text); match !== null; match = splitter.exec(text)) {
      const piece = match[0];
      if (piece.length > MAX_REMEMBERED_CHARS) {
        total += this.countPiece(piece);
        continue;
      }
      let pieceCount = this.remembered.get(piece);
      if (pieceCount === undefined) {
        pieceCount = this.countPiece(piece);
        if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
        this.remembered.set(piece, pieceCount);
      }
      total += pieceCount;
    }
    return total;
  }
}
