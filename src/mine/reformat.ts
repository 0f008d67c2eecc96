import type { CommitDiff } from "./history.js";

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

/**
 * Whether a commit is a mass reformat that blame should look through even though
 * .git-blame-ignore-revs does not list it: many files, and most changed lines differ only cosmetically.
 * A hunk counts whole when both sides are equal up to cosmetics (reflowed lines: one call split over three
 * lines), else by its lines that match up to cosmetics.
 */
export function isMassReformat(diff: CommitDiff): boolean {
  const files = diff.files.filter((file) => file.hunks.length > 0);
  if (files.length < REFORMAT_MIN_FILES) return false;
  const hunks = files.flatMap((file) => file.hunks);
  const changed = hunks.reduce((sum, hunk) => sum + Math.max(hunk.removed.length, hunk.added.length), 0);
  if (changed < REFORMAT_MIN_LINES) return false;
  const needed = REFORMAT_MIN_SHARE * changed;
  // Cheap upper bound first (whole-side matches plus shared line keys), so real changes cost no LCS.
  const keyed = hunks.map((hunk) => {
    const removed = hunk.removed.map(cosmeticKey);
    const added = hunk.added.map(cosmeticKey);
    const whole = removed.join("") === added.join("");
    return { hunk, removed, added, whole, bound: whole ? Math.max(removed.length, added.length) : sharedCount(removed, added) };
  });
  if (keyed.reduce((sum, k) => sum + k.bound, 0) < needed) return false;
  let cosmetic = 0;
  for (const k of keyed) cosmetic += k.whole ? k.bound : matchLines(k.removed, k.added, (key) => key).length;
  return cosmetic >= needed;
}

/** How many lines the two sides share as multisets: an upper bound of their longest common subsequence. */
function sharedCount(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const key of a) counts.set(key, (counts.get(key) ?? 0) + 1);
  let shared = 0;
  for (const key of b) {
    const left = counts.get(key);
    if (left) {
      shared++;
      counts.set(key, left - 1);
    }
  }
  return shared;
}

/**
 * Pairs of (removed index, added index) whose keys are equal, in order, as a longest common subsequence;
 * hunks are small, and very large ones fall back to greedy in-order matching to stay linear.
 */
export function matchLines(removed: readonly string[], added: readonly string[], key: (line: string) => string): [number, number][] {
  if (removed.length === 0 || added.length === 0) return [];
  const a = removed.map(key);
  const b = added.map(key);
  const left = new Set(a);
  if (!b.some((k) => left.has(k))) return [];
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
