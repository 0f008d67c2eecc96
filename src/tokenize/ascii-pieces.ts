/**
 * The pieces of Qwen2/Qwen3's pre-tokenizer pattern (and cl100k_base's, which differs only in taking up to
 * three digits), found by scanning ASCII text here instead of running the translated regex: the regex
 * costs ~140 ns a piece (its match objects too), most of the splitting of bench:export's rows. Wherever a
 * character at or above U+0080 could change a piece (a letter, digit, white space or punctuation run
 * reaching it, or a contraction's next character), that piece is left to the regex, so the pieces are
 * always the regex's (test/tokenize/ascii-pieces.test.ts compares them on the real samples and on random text).
 */
export const QWEN_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const CL100K_PATTERN = QWEN_PATTERN.replace("|\\p{N}|", "|\\p{N}{1,3}|");

const LETTER = 1;
const DIGIT = 2;
const SPACE = 3;
const OTHER = 4;
const CR = 0x0d;
const LF = 0x0a;
const BLANK = 0x20;
const APOSTROPHE = 0x27;
/** A piece whose end depends on a character outside ASCII: the regex finds it. */
const REGEX = -1;

/** Each ASCII character's class in the pattern: letter, digit, white space (\t \n \v \f \r and space), or other. */
const CLASS = new Uint8Array(128).map((_, code) => {
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return LETTER;
  if (code >= 0x30 && code <= 0x39) return DIGIT;
  if (code === BLANK || (code >= 0x09 && code <= 0x0d)) return SPACE;
  return OTHER;
});

/** A scanner for `pattern` when it is one of the patterns above, else undefined. `regex` is its JavaScript translation. */
export function asciiPieces(pattern: string, regex: RegExp): AsciiPieces | undefined {
  if (pattern === QWEN_PATTERN) return new AsciiPieces(regex, 1);
  if (pattern === CL100K_PATTERN) return new AsciiPieces(regex, 3);
  return undefined;
}

export class AsciiPieces {
  constructor(
    private readonly regex: RegExp,
    private readonly maxDigits: number,
  ) {}

  /** Calls `onPiece` with each piece of `text`, in order: the regex's matches. */
  forEach(text: string, onPiece: (piece: string) => void): void {
    const regex = this.regex;
    for (let at = 0; at < text.length; ) {
      const end = this.end(text, at);
      if (end !== REGEX) {
        onPiece(text.slice(at, end));
        at = end;
        continue;
      }
      regex.lastIndex = at;
      // invariant: the pattern matches at every position (any character is a letter, digit, white space or other)
      const piece = regex.exec(text)![0];
      onPiece(piece);
      at += piece.length;
    }
  }

  /** Where the piece starting at `at` ends, trying the pattern's alternatives in order; REGEX when a non-ASCII character decides. */
  private end(text: string, at: number): number {
    const c = text.charCodeAt(at);
    if (c >= 0x80) return REGEX;
    const kind = CLASS[c]!;
    // A non-ASCII character after `c` ends no piece here by itself: the runs below check every character they take.
    const next = at + 1 < text.length ? text.charCodeAt(at + 1) : -1;
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c === APOSTROPHE && CLASS[next] === LETTER) {
      const lower = next | 0x20;
      if (lower === 0x73 || lower === 0x74 || lower === 0x6d || lower === 0x64) return at + 2;
      const third = at + 2 < text.length ? text.charCodeAt(at + 2) : -1;
      const thirdLower = CLASS[third] === LETTER ? third | 0x20 : -1;
      if (((lower === 0x72 || lower === 0x76) && thirdLower === 0x65) || (lower === 0x6c && thirdLower === 0x6c)) return at + 3;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (kind === LETTER) return this.run(text, at, LETTER);
    if (kind !== DIGIT && c !== CR && c !== LF && CLASS[next] === LETTER) return this.run(text, at + 1, LETTER);
    // \p{N} (cl100k: \p{N}{1,3})
    if (kind === DIGIT) return this.digits(text, at);
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    if (c === BLANK && CLASS[next] === OTHER) return this.newlines(text, this.run(text, at + 1, OTHER));
    if (kind === OTHER) return this.newlines(text, this.run(text, at, OTHER));
    // \s*[\r\n]+ | \s+(?!\S) | \s+
    const end = this.run(text, at, SPACE);
    if (end === REGEX) return REGEX;
    for (let k = end - 1; k >= at; k--) {
      const code = text.charCodeAt(k);
      if (code === CR || code === LF) return k + 1;
    }
    return end === text.length || end - at < 2 ? end : end - 1;
  }

  /** The end of the run of `kind` from `from`; REGEX when a non-ASCII character ends it (it may belong to the run). */
  private run(text: string, from: number, kind: number): number {
    if (from === REGEX) return REGEX;
    let k = from;
    for (; k < text.length; k++) {
      const code = text.charCodeAt(k);
      if (code >= 0x80) return REGEX;
      if (CLASS[code] !== kind) break;
    }
    return k;
  }

  private digits(text: string, at: number): number {
    let k = at + 1;
    for (; k < text.length && k - at < this.maxDigits; k++) {
      const code = text.charCodeAt(k);
      if (code >= 0x80) return REGEX;
      if (CLASS[code] !== DIGIT) break;
    }
    return k;
  }

  /** After a punctuation run: the \r and \n that follow it. */
  private newlines(text: string, from: number): number {
    if (from === REGEX) return REGEX;
    let k = from;
    while (k < text.length && (text.charCodeAt(k) === CR || text.charCodeAt(k) === LF)) k++;
    return k;
  }
}
