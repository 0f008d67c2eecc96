// The keyword prefilter: where in a text any detector's keyword occurs, found in one pass.
//
// As in gitleaks, every detector names keywords (case-insensitive literals; here every digit also
// reads as `0`, so `0000` stands for any four digits). The scan folds each character to a 7-bit code
// and keeps the last four in a 28-bit window. Keywords are indexed by a 4-character gram: their first
// four characters, or, for shorter ones, the keyword after every possible 1–3 preceding characters.
// A 2^20-bit filter over hashed grams turns away almost every position with one memory read; where
// it lets a position through, an exact map gives the keywords whose gram it is, each is compared in
// full, and its detectors run there. One-character keywords (`@`) are marked in the fold table.

import type { Detector } from "./detectors/detector.js";

/** A keyword and the detectors (with their priority) that run where it occurs. */
export interface KeywordEntry {
  keyword: string;
  /** Folded codes of the keyword. */
  codes: Uint8Array;
  /** The keyword starts this many characters before the position where its gram ends. */
  back: number;
  detectors: { detector: Detector; priority: number }[];
}

export interface KeywordIndex {
  /** Character code → folded 7-bit code, with bit 0x80 set for one-character keywords. */
  fold: Uint8Array;
  /** 2^20-bit filter of the grams' hashes. */
  filter: Int32Array;
  /** Exact gram → keywords ending their gram there. */
  byGram: Map<number, KeywordEntry[]>;
  /** Folded code → one-character keywords. */
  single: (KeywordEntry[] | undefined)[];
  /** The window before a text's first character: three line breaks, so a keyword may start a text. */
  initial: number;
}

export const GRAM_MASK = 0xfffffff;
export const FILTER_SHIFT = 12;
const HASH = 0x9e3779b1 | 0;

export function gramHash(gram: number): number {
  return Math.imul(gram, HASH) >>> FILTER_SHIFT;
}

/** Letters fold to lower case, digits to `0`; other ASCII stays; controls but tab and line breaks fold to 1; the rest to 127. */
function foldTable(): Uint8Array {
  const fold = new Uint8Array(65536).fill(127);
  for (let c = 0; c < 128; c++) {
    if (c >= 65 && c <= 90) fold[c] = c | 32;
    else if (c >= 48 && c <= 57) fold[c] = 48;
    else if (c < 32 && c !== 9 && c !== 10 && c !== 13) fold[c] = 1;
    else fold[c] = c;
  }
  return fold;
}

export function buildKeywordIndex(detectors: readonly Detector[]): KeywordIndex {
  const fold = foldTable();
  const alphabet = [...new Set(fold)].filter((code) => code < 128);
  const entries = new Map<string, KeywordEntry>();
  detectors.forEach((detector, priority) => {
    for (const keyword of detector.keywords) {
      const codes = Uint8Array.from(keyword, (ch) => fold[ch.charCodeAt(0)]!);
      if (codes.some((code, i) => code !== keyword.charCodeAt(i))) throw new Error(`keyword ${JSON.stringify(keyword)} is not folded (lower case, digits as 0)`);
      const entry = entries.get(keyword) ?? { keyword, codes, back: Math.min(keyword.length, 4) - 1, detectors: [] };
      entry.detectors.push({ detector, priority });
      entries.set(keyword, entry);
    }
  });
  const filter = new Int32Array(1 << (32 - FILTER_SHIFT - 5));
  const byGram = new Map<number, KeywordEntry[]>();
  const single: (KeywordEntry[] | undefined)[] = new Array(128).fill(undefined);
  const addGram = (gram: number, entry: KeywordEntry) => {
    const h = gramHash(gram);
    filter[h >>> 5]! |= 1 << (h & 31);
    const list = byGram.get(gram) ?? [];
    list.push(entry);
    byGram.set(gram, list);
  };
  for (const entry of entries.values()) {
    const { codes } = entry;
    if (codes.length === 1) {
      (single[codes[0]!] ??= []).push(entry);
      fold[codes[0]!] = codes[0]! | 0x80;
      continue;
    }
    const own = [...codes.subarray(0, 4)].reduce((gram, code) => (gram << 7) | code, 0);
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
  return { fold, filter, byGram, single, initial: (10 << 14) | (10 << 7) | 10 };
}
