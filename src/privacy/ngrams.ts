// Word n-grams of normalised text, hashed to 64 bits (two 32-bit halves) without a string per word.

/** Normalisation: words are runs of letters, digits and combining marks, lower-cased; everything else separates them. */
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;
const nonAsciiWord = new Map<number, number>();

/** The lower-cased code of a word character, or -1 for a separator. */
function wordCode(c: number): number {
  if (c < 128) {
    if (c >= 97 && c <= 122) return c;
    if (c >= 65 && c <= 90) return c | 32;
    if (c >= 48 && c <= 57) return c;
    return -1;
  }
  let code = nonAsciiWord.get(c);
  if (code === undefined) {
    const char = String.fromCharCode(c);
    // Surrogate halves are kept as word characters: astral letters (and emoji) stay inside their word.
    const isWord = (c >= 0xd800 && c <= 0xdfff) || NON_ASCII_WORD.test(char);
    const lower = char.toLowerCase();
    code = isWord ? (lower.length === 1 ? lower.charCodeAt(0) : c) : -1;
    nonAsciiWord.set(c, code);
  }
  return code;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One MurmurHash3 block step. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = rotl(k, 15);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Called with the two 32-bit halves of each n-gram's hash, in text order. */
export type NgramVisitor = (hi: number, lo: number) => void;

/**
 * Hashes every run of `n` consecutive normalised words of `text`. Two independent 32-bit hashes per
 * word (FNV-1a and a multiply-xorshift), combined over the window with MurmurHash3 block mixing, give
 * a 64-bit n-gram hash: at a billion indexed n-grams, a false match has odds of about 1 in 10^10.
 */
export function forEachNgram(text: string, n: number, visit: NgramVisitor): void {
  const first = new Int32Array(n);
  const second = new Int32Array(n);
  let words = 0;
  let h1 = 0;
  let h2 = 0;
  let inWord = false;
  const length = text.length;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? wordCode(text.charCodeAt(i)) : -1;
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
    const slot = words % n;
    first[slot] = fmix(h1);
    second[slot] = fmix(h2);
    words++;
    if (words < n) continue;
    let hi = 0x3c6ef372 ^ n;
    let lo = 0x1b873593 ^ n;
    for (let k = 0; k < n; k++) {
      const at = (words + k) % n;
      hi = mixBlock(hi, first[at]!);
      lo = mixBlock(lo, second[at]!);
    }
    visit(fmix(hi ^ n), fmix(lo ^ n));
  }
}
