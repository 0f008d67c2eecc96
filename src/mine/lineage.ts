import type { CommitPatch, FileChange, Hunk } from "./patch-parser.js";
import { matchLines } from "./reformat.js";

/**
 * A line that a mainline commit changes or removes, and the mainline position of the commit it is traced
 * to: `code` for the commit that wrote it (what `git blame -w` names), `whitespace` for a commit that only
 * re-indented or re-spaced it since (what plain `git blame` names), or for a whitespace-only rewrite the
 * commit whose line it re-indents.
 */
export interface BlamedLine {
  path: string;
  /** 1-based line number in the commit's parent. */
  line: number;
  origin: number;
  kind: "code" | "whitespace";
}

/** What a commit's own lines say, for revert detection: whitespace-free hashes of the non-trivial lines it adds and removes. */
export interface LineKeys {
  added: number[];
  removed: number[];
}

const UNKNOWN = -1;

/** Per line of a file: the commit that wrote it (whitespace ignored) and the last commit that touched its text at all. */
interface FileLines {
  origin: number[];
  touch: number[];
}

/** Files whose lines blame does not follow: symbolic links (their target) and submodules (a commit id). */
const NOT_LINES = new Set(["120000", "160000"]);

/**
 * First-parent blame for every mainline commit in one pass. Replaying the history oldest first, it keeps,
 * for every line of every file, the mainline position of the commit that wrote it and of the last one that
 * touched it. Applying a commit's changes yields the lines it changes with their origins: what
 * `git blame -w --first-parent --ignore-revs-file … <commit>^ -L…` reports for those lines, at the cost of
 * one `git log -p` instead of one blame per commit and file.
 * - Renames (whole-file, as `git blame` follows them): the lines keep their origins under the new path.
 * - Whitespace: a removed and an added line equal up to whitespace keep their origin; the rewrite is
 *   reported as `whitespace` lineage to that origin, and a later real change of the line also names the
 *   re-indenting commit (`whitespace`) besides the writer (`code`).
 * - Looking through a commit (listed in the ignore-revs file or detected as a mass reformat): its added
 *   lines inherit the origin of the removed line they match up to cosmetics (whitespace, quotes, commas,
 *   semicolons), or of the removed line at the same place when both sides have as many unmatched lines;
 *   the rest are attributed to the commit itself, and it blames nothing.
 * Binary files, symbolic links and submodules have no lines; a file with more changed lines than the parser
 * decodes (oversized) restarts its history.
 */
export class LineOrigins {
  private readonly files = new Map<string, FileLines>();

  apply(index: number, commit: CommitPatch, lookThrough: boolean): { blamed: BlamedLine[]; keys: LineKeys } {
    const blamed: BlamedLine[] = [];
    const keys: LineKeys = { added: [], removed: [] };
    const renamed = new Map<FileChange, FileLines | undefined>();
    for (const file of commit.files) if (file.status === "R") renamed.set(file, this.files.get(file.oldPath));
    for (const file of commit.files) if (file.status === "R" || file.status === "D") this.files.delete(file.oldPath);
    for (const file of commit.files) {
      if (file.status === "D") continue;
      if (file.binary || file.oversized || file.status === "T" || NOT_LINES.has(file.newMode)) {
        this.files.delete(file.path);
        continue;
      }
      const lines = (file.status === "R" ? renamed.get(file) : this.files.get(file.path)) ?? { origin: [], touch: [] };
      for (let h = file.hunks.length - 1; h >= 0; h--) this.applyHunk(index, file.path, file.hunks[h]!, lines, lookThrough, blamed, keys);
      this.files.set(file.path, lines);
    }
    blamed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)));
    return { blamed, keys };
  }

  private applyHunk(index: number, path: string, hunk: Hunk, lines: FileLines, lookThrough: boolean, blamed: BlamedLine[], keys: LineKeys): void {
    const { removed, added, oldCount, newCount } = hunk;
    const start = oldCount === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const removedOrigin = new Array<number>(oldCount);
    const removedTouch = new Array<number>(oldCount);
    for (let i = 0; i < oldCount; i++) {
      removedOrigin[i] = lines.origin[start + i] ?? UNKNOWN;
      removedTouch[i] = lines.touch[start + i] ?? UNKNOWN;
    }
    const addedOrigin = new Array<number>(newCount).fill(index);
    const addedTouch = new Array<number>(newCount).fill(index);
    // Plain arrays: a typed array per hunk side cost an ArrayBuffer and its view, for a few flags.
    const keptRemoved = new Array<number>(oldCount).fill(0);
    const keptAdded = new Array<number>(newCount).fill(0);
    const keep = (pairs: [number, number][], removedAt: readonly number[] | null, addedAt: readonly number[] | null, rewrite: boolean) => {
      for (const [r, a] of pairs) {
        const ri = removedAt ? removedAt[r]! : r;
        const ai = addedAt ? addedAt[a]! : a;
        addedOrigin[ai] = removedOrigin[ri]!;
        const same = removed.exact[ri] === added.exact[ai];
        addedTouch[ai] = same || !rewrite ? removedTouch[ri]! : index;
        keptRemoved[ri] = 1;
        keptAdded[ai] = 1;
        if (rewrite && !same && !lookThrough && removedOrigin[ri] !== UNKNOWN && !removed.trivial[ri]) {
          blamed.push({ path, line: hunk.oldStart + ri, origin: removedOrigin[ri]!, kind: "whitespace" });
        }
      }
    };
    keep(matchLines(removed.ws, added.ws), null, null, true);
    if (lookThrough) {
      let restRemoved = indexesWhere(keptRemoved, 0);
      let restAdded = indexesWhere(keptAdded, 0);
      keep(matchLines(restRemoved.map((i) => removed.cosmetic[i]!), restAdded.map((i) => added.cosmetic[i]!)), restRemoved, restAdded, false);
      restRemoved = restRemoved.filter((i) => !keptRemoved[i]);
      restAdded = restAdded.filter((i) => !keptAdded[i]);
      if (restRemoved.length === restAdded.length) keep(restRemoved.map((_, k) => [k, k]), restRemoved, restAdded, false);
    } else {
      for (let r = 0; r < oldCount; r++) {
        if (keptRemoved[r] || removed.trivial[r]) continue;
        keys.removed.push(removed.ws[r]!);
        const origin = removedOrigin[r]!;
        if (origin === UNKNOWN) continue;
        blamed.push({ path, line: hunk.oldStart + r, origin, kind: "code" });
        const touch = removedTouch[r]!;
        if (touch !== UNKNOWN && touch !== origin) blamed.push({ path, line: hunk.oldStart + r, origin: touch, kind: "whitespace" });
      }
      for (let a = 0; a < newCount; a++) if (!keptAdded[a] && !added.trivial[a]) keys.added.push(added.ws[a]!);
    }
    lines.origin = replaceRange(lines.origin, start, oldCount, addedOrigin);
    lines.touch = replaceRange(lines.touch, start, oldCount, addedTouch);
  }
}

function indexesWhere(flags: readonly number[], value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === value) out.push(i);
  return out;
}

function replaceRange(items: number[], start: number, count: number, replacement: number[]): number[] {
  if (replacement.length < 10_000) {
    items.splice(start, count, ...replacement);
    return items;
  }
  return items.slice(0, start).concat(replacement, items.slice(start + count));
}
