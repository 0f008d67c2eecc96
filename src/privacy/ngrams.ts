// Word n-grams of normalised text, hashed to 64 bits (two 32-bit halves) without a string per word.

/** Normalisation: words are runs of letters, digits and combining marks, lower-cased; everything else separates them. */
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;
/** ASCII code → its lower-case code when it is a letter or digit, else -1. */
const ASCII = new Int16Array(128).map((_, c) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? c : c >= 65 && c <= 90 ? c | 32 : -1);
const nonAscii = new Map<number, number>();

/** The lower-cased code of a non-ASCII word character, or -1 for a separator. */
function nonAsciiCode(c: number): number {
  let code = nonAscii.get(c);
  if (code === undefined) {
    const char = String.fromCharCode(c);
    // Surrogate halves are kept as word characters: astral letters (and emoji) stay inside their word.
    const isWord = (c >= 0xd800 && c <= 0xdfff) || NON_ASCII_WORD.test(char);
    const lower = char.toLowerCase();
    code = isWord ? (lower.length === 1 ? lower.charCodeAt(0) : c) : -1;
    nonAscii.set(c, code);
  }
  return code;
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
  for (let i = 0; i <= length; i++) {
    let code = -1;
    if (i < length) {
      const c = text.charCodeAt(i);
      code = c < 128 ? ASCII[c]! : nonAsciiCode(c);
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
