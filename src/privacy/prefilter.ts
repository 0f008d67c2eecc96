// The keyword prefilter: where in a text any detector's keyword occurs, found in one pass.
//
// As in gitleaks, every detector names keywords (case-insensitive literals; here every digit also
// reads as `0`, so `0000` stands for any four digits). The scan folds each character to a code (upper
// case to lower case by setting bit 5, digits to `0`) and keeps the last four in a 28-bit window.
// Keywords are indexed by a 4-character gram: their least common four characters (`users\` by
// `ers\`), or, for shorter ones, the keyword after every possible 1–3 preceding characters. A
// 2^20-bit filter over hashed grams turns away almost every position with one memory read; where it
// lets a position through, an exact table gives the keywords whose gram it is, each is compared in
// full, and its detectors run there. One-character keywords (`@`) are found with indexOf instead.

import type { Detector } from "./detectors/detector.js";

/** A keyword and the detectors (with their priority) that run where it occurs. */
export interface KeywordEntry {
  keyword: string;
  /** Folded codes of the keyword. */
  codes: Uint8Array;
  /** The keyword starts this many characters before the last character of its gram. */
  back: number;
  detectors: { detector: Detector; priority: number }[];
}

export interface KeywordIndex {
  /** 2^20-bit filter of the grams' hashes. */
  filter: Int32Array;
  /** Open-addressing table, gram → index into `lists` (keys -1 when empty). */
  keys: Int32Array;
  values: Int32Array;
  /** The keywords whose gram is a key. */
  lists: KeywordEntry[][];
  /** One-character keywords (found with indexOf). */
  single: KeywordEntry[];
  /** The window before a text's first character: three line breaks, so a keyword may start a text. */
  initial: number;
}

export const GRAM_MASK = 0xfffffff;
export const FILTER_SHIFT = 12;
export const TABLE_BITS = 15;
const HASH = 0x9e3779b1 | 0;
const TABLE_HASH = 0x85ebca6b | 0;

export function gramHash(gram: number): number {
  return Math.imul(gram, HASH) >>> FILTER_SHIFT;
}

/** The slot of `gram` in the table: where it is, or the empty slot where it would go. */
export function tableSlot(keys: Int32Array, gram: number): number {
  let slot = Math.imul(gram, TABLE_HASH) >>> (32 - TABLE_BITS);
  while (keys[slot] !== -1 && keys[slot] !== gram) slot = (slot + 1) & ((1 << TABLE_BITS) - 1);
  return slot;
}

/**
 * The folded code of a character: ASCII letters in lower case (bit 5 set, which also pairs a few
 * punctuation characters, `@` with a backtick), every digit `0`. Arithmetic rather than a table: the
 * scan does this for every character.
 */
export function foldCode(c: number): number {
  const x = c | 32;
  return (x - 48) >>> 0 < 10 ? 48 : x;
}

/** How often a folded character occurs in agent logs, per 1000 (letters as in English text; `0` stands for every digit). */
const FREQUENCY: Record<string, number> = {
  " ": 160, e: 80, t: 56, a: 55, n: 49, s: 49, i: 46, o: 45, r: 42, c: 27, l: 27, d: 25, h: 24, u: 20, g: 17, m: 16, f: 16, p: 14, b: 11, y: 10,
  w: 6, k: 5, v: 7, x: 2, j: 1, q: 1, z: 1, "0": 47, '"': 20, ",": 12, "\n": 12, _: 10, ":": 10, ".": 9, "-": 8,
};

/** The 4-character window of a keyword least likely to occur by chance: it anchors the keyword in the filter. */
function anchorOffset(keyword: string): number {
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let offset = 0; offset + 4 <= keyword.length; offset++) {
    let score = 0;
    for (const ch of keyword.slice(offset, offset + 4)) score += Math.log(FREQUENCY[ch] ?? 2);
    if (score < bestScore) [best, bestScore] = [offset, score];
  }
  return best;
}

export function buildKeywordIndex(detectors: readonly Detector[]): KeywordIndex {
  const alphabet = [...new Set(Array.from({ length: 128 }, (_, c) => foldCode(c)))];
  const entries = new Map<string, KeywordEntry>();
  detectors.forEach((detector, priority) => {
    for (const keyword of detector.keywords) {
      const codes = Uint8Array.from(keyword, (ch) => foldCode(ch.charCodeAt(0)));
      // invariant: keyword lists are written in the detectors, not read from input
      if (/[A-Z1-9]/.test(keyword) || /[^\x20-\x7e]/.test(keyword)) throw new Error(`keyword ${JSON.stringify(keyword)} is not folded (lower-case ASCII, digits as 0)`);
      const back = keyword.length >= 4 ? anchorOffset(keyword) + 3 : keyword.length - 1;
      const entry = entries.get(keyword) ?? { keyword, codes, back, detectors: [] };
      entry.detectors.push({ detector, priority });
      entries.set(keyword, entry);
    }
  });
  const filter = new Int32Array(1 << (32 - FILTER_SHIFT - 5));
  const keys = new Int32Array(1 << TABLE_BITS).fill(-1);
  const values = new Int32Array(1 << TABLE_BITS);
  const lists: KeywordEntry[][] = [];
  const single: KeywordEntry[] = [];
  const addGram = (gram: number, entry: KeywordEntry) => {
    const h = gramHash(gram);
    filter[h >>> 5]! |= 1 << (h & 31);
    const slot = tableSlot(keys, gram);
    if (keys[slot] === -1) {
      // invariant: keyword lists are written in the detectors, not read from input
      if (lists.length * 2 >= keys.length) throw new Error("too many keyword grams for the table");
      keys[slot] = gram;
      values[slot] = lists.push([]) - 1;
    }
    lists[values[slot]!]!.push(entry);
  };
  for (const entry of entries.values()) {
    const { codes } = entry;
    if (codes.length === 1) {
      single.push(entry);
      continue;
    }
    const anchor = codes.length >= 4 ? entry.back - 3 : 0;
    const own = [...codes.subarray(anchor, anchor + 4)].reduce((gram, code) => (gram << 7) | code, 0);
    if (codes.length >= 4) {
      addGram(own, entry);
      continue;
    }
    // A short keyword ends a gram whose first characters may be anything.
    const free = 4 - codes.length;
    for (let prefix = 0; prefix < alphabet.length ** free; prefix++) {
      let gram = 0;
      for (let k = 0, p = prefix; k < free; k++, p = Math.floor(p / alphabet.length)) gram = (gram << 7) | alphabet[p % alphabet.length]!;
      addGram(((gram << (7 * codes.length)) | own) & GRAM_MASK, entry);
    }
  }
  const newline = foldCode(10);
  return { filter, keys, values, lists, single, initial: (newline << 14) | (newline << 7) | newline };
}
