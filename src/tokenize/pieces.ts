import type { AsciiPieces } from "./ascii-pieces.js";
import { referenceProperty } from "./reference-unicode.js";
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
 * A tiktoken pre-tokenizer pattern as an equivalent JavaScript regex (global, `v` flag): white space and
 * contractions spelled as Rust reads them, and each `\\p{…}` with the reference's Unicode tables
 * (reference-unicode.ts). Only the constructs of the OpenAI and Qwen patterns are translated; anything
 * else that would read differently in JavaScript is refused rather than guessed.
 */
export function jsPreTokenizer(pattern: string): RegExp {
  // invariant: never reaches a user: such a pattern goes to tiktoken whole (rank-table-codec.ts ranksCodec)
  const refused = new Error(`pre-tokenizer pattern not supported in JavaScript: ${pattern}`);
  const escaped = escapedForSetNotation(
    pattern
      .replaceAll(CONTRACTIONS_RUST, CONTRACTIONS_JS)
      .replaceAll("[^\\s", `[^${WHITE_SPACE}`)
      .replaceAll("(?!\\S)", `(?![^${WHITE_SPACE}])`)
      .replaceAll("\\s", `[${WHITE_SPACE}]`),
  );
  if (escaped === undefined) throw refused;
  const source = escaped.replace(/\\p\{([^}]*)\}/g, (_, property: string) => {
    const translated = referenceProperty(property);
    if (translated === undefined) throw refused;
    return translated;
  });
  if (/\(\?[a-z]|\\[SdDwWbBP]/.test(source)) throw refused;
  try {
    return new RegExp(source, "gv");
  } catch {
    throw refused;
  }
}

/** Characters a class takes literally with the `u` flag but must escape with `v` (set notation). */
const SET_SYNTAX = new Set(["(", ")", "{", "}", "/", "|"]);

/**
 * Pairs a class reads as set operators with the `v` flag (`&&`, `--`) or refuses (the others): Rust's and
 * Oniguruma's classes read some of them as operators too, each in its own way, so a class with one is
 * refused rather than guessed.
 */
const DOUBLE_PUNCTUATORS = new Set("&!#$%*+,.:;<=>?@^`~-");

/**
 * `source` (classes not nested, as in `u` patterns) with SET_SYNTAX escaped inside its classes; undefined
 * when a class holds a double punctuator (see DOUBLE_PUNCTUATORS).
 */
function escapedForSetNotation(source: string): string | undefined {
  let escaped = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === "\\") {
      // an escape, with its braces (`\p{L}`, `\u{1F600}`)
      const end = source[i + 2] === "{" && source.includes("}", i) ? source.indexOf("}", i) : i + 1;
      escaped += source.slice(i, end + 1);
      i = end;
      continue;
    }
    if (inClass && DOUBLE_PUNCTUATORS.has(char) && source[i + 1] === char) return undefined;
    if (inClass && SET_SYNTAX.has(char)) escaped += "\\";
    else if (inClass) inClass = char !== "]";
    else inClass = char === "[";
    escaped += char;
  }
  return escaped;
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

/**
 * The top-level alternatives of the patterns whose pieces never run from a newline into a following
 * character that is neither white space nor "/" (o200k_base, cl100k_base, Qwen's): letters and digits
 * never take a newline, punctuation runs take newlines only at their end (o200k also takes "/" there),
 * and a white-space run that ends in a newline is one piece (`\s*[\r\n]+` is tried before `\s+(?!\S)`,
 * whose look-ahead would read past the newline). Text cut at such a place therefore splits into the same
 * pieces on both sides as the whole.
 */
const LINE_SAFE_ALTERNATIVES = new Set([
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)",
  "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "\\p{N}{1,3}",
  "\\p{N}",
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*",
  " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
  "\\s*[\\r\\n]+",
  "\\s+(?!\\S)",
  "\\s+",
]);

/** Whether a tiktoken pattern splits text cut after a newline (before a character that is not white space or "/") as it splits the whole. */
export function splitsAtLines(pattern: string): boolean {
  const alternatives = topLevelAlternatives(pattern);
  const runs = alternatives.indexOf("\\s*[\\r\\n]+");
  const lookahead = alternatives.indexOf("\\s+(?!\\S)");
  return alternatives.every((alternative) => LINE_SAFE_ALTERNATIVES.has(alternative)) && runs !== -1 && (lookahead === -1 || runs < lookahead);
}

function topLevelAlternatives(pattern: string): string[] {
  const alternatives: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") i++;
    else if (inClass) inClass = char !== "]";
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "|" && depth === 0) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  alternatives.push(pattern.slice(start));
  return alternatives;
}

/**
 * Lines up to this many characters are remembered by count (with splitsAtLines patterns): prompt
 * templates repeat whole paragraphs (GraphWalks' instructions have a line of 289 characters).
 */
const MAX_REMEMBERED_LINE_CHARS = 4096;
/** The remembered lines' characters at most; the memory starts over when full. */
const MAX_REMEMBERED_LINE_TOTAL = 1 << 23;
const WHITE_SPACE_CHAR = new RegExp(`[${WHITE_SPACE}]`);
const SLASH = 0x2f;

/** Whether a UTF-16 code unit is in WHITE_SPACE (below U+0085 only tab to carriage return and space are). */
function isWhiteSpace(code: number): boolean {
  if (code < 0x85) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return WHITE_SPACE_CHAR.test(String.fromCharCode(code));
}

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
  private readonly lineCounts = new TextMemory<number>(MAX_REMEMBERED_LINE_TOTAL);

  /**
   * `atLines`: the pattern splitsAtLines, so count may cut text after newlines and remember each line's count (log lines, edge lists and code repeat whole lines).
   * `ascii`: a scanner giving the same pieces as `splitter` faster (ascii-pieces.ts), for the patterns it knows.
   */
  constructor(
    private readonly splitter: RegExp,
    private readonly encoders: PieceEncoders,
    private readonly atLines = false,
    private readonly ascii?: AsciiPieces,
  ) {}

  count(text: string): number {
    if (!this.atLines) return this.countPieces(text);
    let total = 0;
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1 && newline + 1 < text.length; newline = text.indexOf("\n", newline + 1)) {
      const next = text.charCodeAt(newline + 1);
      if (next === SLASH || isWhiteSpace(next)) continue;
      total += this.countLine(text.slice(start, newline + 1));
      start = newline + 1;
    }
    return total + this.countLine(start === 0 ? text : text.slice(start));
  }

  private countLine(line: string): number {
    if (line.length > MAX_REMEMBERED_LINE_CHARS) return this.countPieces(line);
    let lineCount = this.lineCounts.get(line);
    if (lineCount === undefined) {
      lineCount = this.countPieces(line);
      this.lineCounts.set(line, lineCount);
    }
    return lineCount;
  }

  private countPieces(text: string): number {
    let total = 0;
    this.forEachPiece(text, (piece) => {
      total += this.countPiece(piece);
    });
    return total;
  }

  private countPiece(piece: string): number {
    if (piece.length > MAX_REMEMBERED_CHARS) return piece.length > LONG_PIECE_CHARS ? this.encoders.long().countPiece(piece) : this.encoders.short(piece).length;
    let pieceCount = this.counts.get(piece);
    if (pieceCount === undefined) {
      pieceCount = this.encoders.short(piece).length;
      remember(this.counts, piece, pieceCount);
    }
    return pieceCount;
  }

  encode(text: string, out: number[]): void {
    this.forEachPiece(text, (piece) => this.encodePiece(piece, out));
  }

  private encodePiece(piece: string, out: number[]): void {
    if (piece.length > LONG_PIECE_CHARS) return this.encoders.long().encodePiece(piece, out);
    let ids = piece.length > MAX_REMEMBERED_CHARS ? undefined : this.ids.get(piece);
    if (ids === undefined) {
      ids = Array.from(this.encoders.short(piece));
      if (piece.length <= MAX_REMEMBERED_CHARS) remember(this.ids, piece, ids);
    }
    for (const id of ids) out.push(id);
  }

  private forEachPiece(text: string, onPiece: (piece: string) => void): void {
    if (this.ascii !== undefined) return this.ascii.forEach(text, onPiece);
    const splitter = this.splitter;
    splitter.lastIndex = 0;
    for (let match = splitter.exec(text); match !== null; match = splitter.exec(text)) onPiece(match[0]);
  }
}

function remember<T>(memory: Map<string, T>, piece: string, value: T): void {
  if (memory.size >= MAX_REMEMBERED) memory.clear();
  memory.set(detached(piece), value);
}

/**
 * A copy of `part` that does not hold on to the text it was cut from. V8 keeps a slice of 13 or more
 * characters as a view of its parent: a remembered line or piece would keep a whole prompt (megabytes, in
 * MRCR) alive for as long as it is remembered. Joining makes a new string; slicing it flattens it into one.
 */
function detached(part: string): string {
  return ` ${part}`.slice(1);
}

/**
 * Values remembered by their text, up to `maxChars` characters of texts, then all forgotten at once; a
 * text is kept detached from the text it was cut from.
 */
export class TextMemory<T> {
  private readonly values = new Map<string, T>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(text: string): T | undefined {
    return this.values.get(text);
  }

  set(text: string, value: T): void {
    if (this.chars + text.length > this.maxChars) {
      this.values.clear();
      this.chars = 0;
    }
    this.values.set(detached(text), value);
    this.chars += text.length;
  }
}
