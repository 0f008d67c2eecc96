// Word n-grams of normalised text, hashed to 64 bits (two 32-bit halves) without a string per word.
//
// Normalisation, the same on both sides (samples and eval texts), one code point at a time:
//   1. default-ignorable code points (zero-width spaces and joiners, soft hyphen, BOM, bidi controls,
//      variation selectors) are removed: they neither count nor split a word;
//   2. NFKD (compatibility decomposition: fullwidth `Ａ` → `A`, `ﬁ` → `fi`, `①` → `1`, `𝐀` → `A`),
//      then combining marks are removed (`é` in NFC or NFD → `e`);
//   3. full case folding (`ß` → `ss`, `Σ`/`ς` → `σ`);
//   4. words are runs of letters and digits; every other character separates words, and each Han,
//      kana or Thai-family character (scripts written without spaces) is a word of its own.
// Because NFKD and mark removal work per code point, the result does not depend on how the input was
// composed (NFC, NFD or neither).

/** ASCII code → its lower-case code when it is a letter or digit, else -1. */
const ASCII = new Int16Array(128).map((_, c) => ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? c : c >= 65 && c <= 90 ? c | 32 : -1));

const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{M}]$/u;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const OWN_WORD = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;

/**
 * What a non-ASCII code point becomes: codes that continue or start a word, and `SEPARATOR`s that end
 * one (a character that is a word by itself comes between two). An empty list: the code point is removed.
 */
const SEPARATOR = -1;
const normalised = new Map<number, readonly number[]>();

function normalise(codePoint: number): readonly number[] {
  let out = normalised.get(codePoint);
  if (out !== undefined) return out;
  const codes: number[] = [];
  const char = String.fromCodePoint(codePoint);
  if (!/^\p{Default_Ignorable_Code_Point}$/u.test(char)) {
    const folded = [...char.normalize("NFKD")].filter((c) => !IGNORABLE.test(c)).join("").toUpperCase().toLowerCase().normalize("NFKD");
    for (const c of folded) {
      if (IGNORABLE.test(c)) continue;
      const code = c.codePointAt(0)!;
      if (code < 128) codes.push(ASCII[code]!);
      else if (!LETTER_OR_DIGIT.test(c)) codes.push(SEPARATOR);
      else if (OWN_WORD.test(c)) codes.push(SEPARATOR, code, SEPARATOR);
      else codes.push(code);
    }
  }
  out = codes;
  normalised.set(codePoint, out);
  return out;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Called with the two 32-bit halves of each n-gram's hash, in text order. */
export type NgramVisitor = (hi: number, lo: number) => void;

const BASE_HI = 0x9e3779b1 | 0;
const BASE_LO = 0x85ebca77 | 0;

function power(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base);
  return result;
}

/**
 * Hashes every run of `n` consecutive normalised words of `text`. Each word gets two independent 32-bit
 * hashes (FNV-1a and a multiply-xorshift, then avalanched); each half of the n-gram hash is a
 * polynomial over the window's word hashes, rolled in O(1) per word, then avalanched. Two different
 * n-grams share both halves with odds of about 1 in 2^64.
 */
export function forEachNgram(text: string, n: number, visit: NgramVisitor): void {
  const firstWords = new Int32Array(n);
  const secondWords = new Int32Array(n);
  const dropHi = power(BASE_HI, n - 1);
  const dropLo = power(BASE_LO, n - 1);
  let words = 0;
  let rollHi = 0;
  let rollLo = 0;
  let h1 = 0;
  let h2 = 0;
  let inWord = false;
  const length = text.length;
  let expansion: readonly number[] = [];
  let pending = 0;
  for (let i = 0; i <= length; ) {
    // The next normalised code: from the expansion of a non-ASCII code point, or the next character.
    let code: number;
    if (pending < expansion.length) {
      code = expansion[pending++]!;
    } else if (i === length) {
      code = SEPARATOR;
      i++;
    } else {
      const c = text.charCodeAt(i++);
      if (c < 128) {
        code = ASCII[c]!;
      } else {
        let codePoint = c;
        const low = c >= 0xd800 && c <= 0xdbff && i < length ? text.charCodeAt(i) : 0;
        if (low >= 0xdc00 && low <= 0xdfff) {
          codePoint = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
          i++;
        }
        expansion = normalise(codePoint);
        pending = 0;
        continue;
      }
    }
    if (code >= 0) {
      if (!inWord) {
        inWord = true;
        h1 = 0x811c9dc5 | 0;
        h2 = 0x9747b28c | 0;
      }
      h1 = Math.imul(h1 ^ code, 0x01000193);
      h2 = Math.imul(h2 + code, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      continue;
    }
    if (!inWord) continue;
    inWord = false;
    const w1 = fmix(h1) | 0;
    const w2 = fmix(h2) | 0;
    const slot = words % n;
    if (words >= n) {
      rollHi = (rollHi - Math.imul(firstWords[slot]!, dropHi)) | 0;
      rollLo = (rollLo - Math.imul(secondWords[slot]!, dropLo)) | 0;
    }
    rollHi = (Math.imul(rollHi, BASE_HI) + w1) | 0;
    rollLo = (Math.imul(rollLo, BASE_LO) + w2) | 0;
    firstWords[slot] = w1;
    secondWords[slot] = w2;
    words++;
    if (words >= n) visit(fmix(rollHi ^ n), fmix(rollLo ^ Math.imul(n, 0x27d4eb2d)));
  }
}
