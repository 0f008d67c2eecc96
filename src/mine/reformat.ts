import type { CommitPatch } from "./patch-parser.js";

/** A mass reformat touches at least this many files… */
export const REFORMAT_MIN_FILES = 3;
/** …and at least this many changed lines… */
export const REFORMAT_MIN_LINES = 10;
/** …of which at least this share only change whitespace, quotes, commas or semicolons. */
export const REFORMAT_MIN_SHARE = 0.8;

/**
 * Whether a commit is a mass reformat that blame should look through even though
 * .git-blame-ignore-revs does not list it: many files, and most changed lines differ only cosmetically
 * (whitespace, quotes, commas, semicolons; see LineSide). A hunk counts whole when both sides are equal up
 * to cosmetics across line breaks (reflowed lines: one call split over three lines), else by its lines that
 * match up to cosmetics.
 */
export function isMassReformat(diff: CommitPatch): boolean {
  const files = diff.files.filter((file) => file.hunks.length > 0);
  if (files.length < REFORMAT_MIN_FILES) return false;
  const hunks = files.flatMap((file) => file.hunks);
  const changed = hunks.reduce((sum, hunk) => sum + Math.max(hunk.oldCount, hunk.newCount), 0);
  if (changed < REFORMAT_MIN_LINES) return false;
  const needed = REFORMAT_MIN_SHARE * changed;
  // Cheapest upper bound first: a hunk matches at most all of its lines when its sides are equal up to
  // cosmetics, else at most its shorter side. Most commits add or remove more than they rewrite and stop
  // here, without a multiset per hunk.
  let most = 0;
  for (const hunk of hunks) {
    most += hunk.removed.cosmeticAll === hunk.added.cosmeticAll ? Math.max(hunk.oldCount, hunk.newCount) : Math.min(hunk.oldCount, hunk.newCount);
  }
  if (most < needed) return false;
  // Then a tighter one (whole-side matches plus shared line keys), so real changes cost no LCS.
  const keyed = hunks.map((hunk) => {
    const whole = hunk.removed.cosmeticAll === hunk.added.cosmeticAll;
    return { hunk, whole, bound: whole ? Math.max(hunk.oldCount, hunk.newCount) : sharedCount(hunk.removed.cosmetic, hunk.added.cosmetic) };
  });
  if (keyed.reduce((sum, k) => sum + k.bound, 0) < needed) return false;
  let cosmetic = 0;
  for (const k of keyed) cosmetic += k.whole ? k.bound : matchLines(k.hunk.removed.cosmetic, k.hunk.added.cosmetic).length;
  return cosmetic >= needed;
}

/** How many lines the two sides share as multisets: an upper bound of their longest common subsequence. */
function sharedCount(a: readonly number[], b: readonly number[]): number {
  const counts = new Map<number, number>();
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

/** Scratch table of the LCS, grown as needed and reused: hunks are many and small. */
let table = new Uint32Array(1024);

/**
 * Pairs of (removed index, added index) whose keys are equal, in order, as a longest common subsequence;
 * hunks are small, and very large ones fall back to greedy in-order matching to stay linear.
 */
export function matchLines(a: readonly number[], b: readonly number[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [];
  if (n === 1 && m === 1) return a[0] === b[0] ? [[0, 0]] : [];
  if (n * m > 40_000) return greedyMatch(a, b);
  if (n * m <= 64) {
    let shared = false;
    for (let i = 0; i < n && !shared; i++) for (let j = 0; j < m && !shared; j++) shared = a[i] === b[j];
    if (!shared) return [];
  } else {
    const left = new Set(a);
    if (!b.some((k) => left.has(k))) return [];
  }
  const width = m + 1;
  if (table.length < (n + 1) * width) table = new Uint32Array((n + 1) * width * 2);
  table.fill(0, 0, (n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = a[i] === b[j] ? table[(i + 1) * width + j + 1]! + 1 : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[i] === b[j]) pairs.push([i++, j++]);
    else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/** In-order matching for very large hunks: each line takes the first equal line after the last match (linear). */
function greedyMatch(a: readonly number[], b: readonly number[]): [number, number][] {
  const positions = new Map<number, number[]>();
  for (let j = b.length - 1; j >= 0; j--) {
    const list = positions.get(b[j]!);
    if (list) list.push(j);
    else positions.set(b[j]!, [j]);
  }
  const pairs: [number, number][] = [];
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    const list = positions.get(a[i]!);
    if (!list) continue;
    while (list.length > 0 && list.at(-1)! < j) list.pop();
    if (list.length === 0) continue;
    const at = list.pop()!;
    pairs.push([i, at]);
    j = at + 1;
  }
  return pairs;
}
