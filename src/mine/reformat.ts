import type { CommitDiff, Hunk } from "./history.js";

/** A mass reformat touches at least this many files… */
export const REFORMAT_MIN_FILES = 3;
/** …and at least this many changed lines… */
export const REFORMAT_MIN_LINES = 10;
/** …of which at least this share only change whitespace, quotes, commas or semicolons. */
export const REFORMAT_MIN_SHARE = 0.8;

/** A line as a formatter sees it: no whitespace, one kind of quote, no trailing-comma or semicolon choices. */
export function cosmeticKey(line: string): string {
  return line.replace(/\s+/g, "").replace(/['"`]/g, '"').replace(/[,;]/g, "");
}

/** Lines changed by a hunk (the larger side), and how many of them are cosmetic. */
function hunkShare(hunk: Hunk): { changed: number; cosmetic: number } {
  const changed = Math.max(hunk.removed.length, hunk.added.length);
  // Comparing whole sides handles reflowed lines (one call split over three lines) as well as in-place edits.
  if (cosmeticKey(hunk.removed.join("")) === cosmeticKey(hunk.added.join(""))) return { changed, cosmetic: changed };
  return { changed, cosmetic: matchLines(hunk.removed, hunk.added, cosmeticKey).length };
}

/**
 * Whether a commit is a mass reformat that blame should look through even though
 * .git-blame-ignore-revs does not list it: many files, and most changed lines differ only cosmetically.
 */
export function isMassReformat(diff: CommitDiff): boolean {
  const files = diff.files.filter((file) => file.hunks.length > 0);
  if (files.length < REFORMAT_MIN_FILES) return false;
  let changed = 0;
  let cosmetic = 0;
  for (const file of files) {
    for (const hunk of file.hunks) {
      const share = hunkShare(hunk);
      changed += share.changed;
      cosmetic += share.cosmetic;
    }
  }
  return changed >= REFORMAT_MIN_LINES && cosmetic / changed >= REFORMAT_MIN_SHARE;
}

/**
 * Pairs of (removed index, added index) whose keys are equal, in order, as a longest common subsequence;
 * hunks are small, and very large ones fall back to greedy in-order matching to stay linear.
 */
export function matchLines(removed: readonly string[], added: readonly string[], key: (line: string) => string): [number, number][] {
  if (removed.length === 0 || added.length === 0) return [];
  const a = removed.map(key);
  const b = added.map(key);
  if (a.length * b.length > 250_000) return greedyMatch(a, b);
  const n = a.length;
  const m = b.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = a[i] === b[j] ? table[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[i] === b[j]) pairs.push([i++, j++]);
    else if (table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

function greedyMatch(a: readonly string[], b: readonly string[]): [number, number][] {
  const pairs: [number, number][] = [];
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    const at = b.indexOf(a[i]!, j);
    if (at !== -1) {
      pairs.push([i, at]);
      j = at + 1;
    }
  }
  return pairs;
}
