import type { CommitDiff, Hunk } from "./history.js";
import { cosmeticKey, matchLines } from "./reformat.js";

/** A line that a mainline commit changes or removes, and the mainline position of the commit that introduced it. */
export interface BlamedLine {
  path: string;
  /** 1-based line number in the commit's parent. */
  line: number;
  origin: number;
}

const UNKNOWN = -1;

const whitespaceKey = (line: string) => line.replace(/\s+/g, "");

/**
 * Lines that say nothing about who wrote the logic, skipped as blame evidence (as SZZ implementations do):
 * blank lines, comment-only lines and lines without a letter or digit (braces, brackets).
 */
export function isTrivialLine(line: string): boolean {
  const text = line.trim();
  return !/[\p{L}\p{N}]/u.test(text) || /^(\/\/|#|\/\*|\*|'''|"""|--|<!--)/.test(text);
}

/**
 * First-parent blame for every mainline commit in one pass. Replaying the history oldest first, it keeps,
 * for every line of every file, the mainline position of the commit that introduced it. Applying a commit's
 * -U0 hunks yields the lines it changes, with their origins: what
 * `git blame -w --first-parent --ignore-revs-file … <commit>^ -L…` reports for those lines, at the cost of
 * one `git log -p` instead of one blame per commit and file.
 * - Whitespace (-w): within a hunk, a removed and an added line equal up to whitespace keep their origin.
 * - Looking through a commit (listed in the ignore-revs file or detected as a mass reformat): its added
 *   lines inherit the origin of the removed line they match up to cosmetics (whitespace, quotes, commas,
 *   semicolons), or of the removed line at the same place when both sides have as many unmatched lines;
 *   the rest are attributed to the commit itself, and it blames nothing.
 * Binary files have no lines; their history restarts when they turn into text.
 */
export class LineOrigins {
  private readonly files = new Map<string, number[]>();

  apply(index: number, diff: CommitDiff, lookThrough: boolean): BlamedLine[] {
    const blamed: BlamedLine[] = [];
    for (const file of diff.files) {
      if (file.added === null) {
        this.files.delete(file.path);
        continue;
      }
      if (file.hunks.length === 0) continue;
      let origins = this.files.get(file.path) ?? [];
      for (let h = file.hunks.length - 1; h >= 0; h--) {
        const hunk = file.hunks[h]!;
        const start = hunk.oldCount === 0 ? hunk.oldStart : hunk.oldStart - 1;
        const removed = Array.from({ length: hunk.oldCount }, (_, i) => origins[start + i] ?? UNKNOWN);
        const { added, changed } = this.inherit(index, hunk, removed, lookThrough);
        if (!lookThrough) {
          for (const r of changed) {
            if (removed[r] !== UNKNOWN && !isTrivialLine(hunk.removed[r]!)) blamed.push({ path: file.path, line: hunk.oldStart + r, origin: removed[r]! });
          }
        }
        origins = replaceRange(origins, start, hunk.oldCount, added);
      }
      this.files.set(file.path, origins);
    }
    blamed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
    return blamed;
  }

  /** Origins of the hunk's added lines, and the indexes of removed lines it really changes. */
  private inherit(index: number, hunk: Hunk, removed: readonly number[], lookThrough: boolean): { added: number[]; changed: number[] } {
    const added = new Array<number>(hunk.newCount).fill(index);
    const keptRemoved = new Set<number>();
    const keptAdded = new Set<number>();
    const keep = (pairs: [number, number][], offsetsRemoved: number[], offsetsAdded: number[]) => {
      for (const [r, a] of pairs) {
        const ri = offsetsRemoved[r]!;
        const ai = offsetsAdded[a]!;
        added[ai] = removed[ri]!;
        keptRemoved.add(ri);
        keptAdded.add(ai);
      }
    };
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    keep(matchLines(hunk.removed, hunk.added, whitespaceKey), all(hunk.removed.length), all(hunk.added.length));
    if (lookThrough) {
      let restRemoved = all(hunk.removed.length).filter((i) => !keptRemoved.has(i));
      let restAdded = all(hunk.added.length).filter((i) => !keptAdded.has(i));
      keep(matchLines(restRemoved.map((i) => hunk.removed[i]!), restAdded.map((i) => hunk.added[i]!), cosmeticKey), restRemoved, restAdded);
      restRemoved = restRemoved.filter((i) => !keptRemoved.has(i));
      restAdded = restAdded.filter((i) => !keptAdded.has(i));
      if (restRemoved.length === restAdded.length) keep(restRemoved.map((_, k) => [k, k]), restRemoved, restAdded);
    }
    return { added, changed: all(hunk.removed.length).filter((i) => !keptRemoved.has(i)) };
  }
}

function replaceRange(items: number[], start: number, count: number, replacement: number[]): number[] {
  if (replacement.length < 10_000) {
    items.splice(start, count, ...replacement);
    return items;
  }
  return items.slice(0, start).concat(replacement, items.slice(start + count));
}
