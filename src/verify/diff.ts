import { excerpt, fail, pass, type Verdict } from "./types.js";

/** A run of removed and added lines with no unchanged line between them. */
export interface Change {
  removed: string[];
  added: string[];
}

export interface FilePatch {
  /** The path after the change (before it, for a deleted file), without the a/ or b/ prefix. */
  path: string;
  changes: Change[];
  /** Mode, rename, new, deleted or binary markers: what a diff says besides its lines. */
  markers: string[];
}

const stripPrefix = (path: string) => path.replace(/^"|"$/g, "").replace(/^[ab]\//, "");
/** Trailing whitespace is not a difference (editors and models strip it freely). */
const line = (text: string) => text.replace(/\s+$/, "");

/**
 * The files and change groups of a unified diff (git or plain `diff -u`). Line numbers, context lines
 * and hunk boundaries are left out: two diffs that make the same edits compare equal however they cut
 * their hunks.
 */
export function parseDiff(text: string): FilePatch[] {
  const files: FilePatch[] = [];
  let file: FilePatch | undefined;
  let change: Change | undefined;
  let inHunk = false;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const row = lines[i]!;
    if (row.startsWith("diff --git ")) {
      const match = /^diff --git (\S+|"[^"]+") (\S+|"[^"]+")$/.exec(row);
      file = { path: match ? stripPrefix(match[2]!) : row.slice(11), changes: [], markers: [] };
      files.push(file);
      inHunk = false;
      change = undefined;
      continue;
    }
    // inside a hunk, "--- x" is a removed line "-- x" unless a +++ line and a hunk header follow
    if (row.startsWith("--- ") && lines[i + 1]?.startsWith("+++ ") && (!inHunk || lines[i + 2]?.startsWith("@@"))) {
      const oldPath = stripPrefix(row.slice(4).split("\t")[0]!.trim());
      const newPath = stripPrefix(lines[i + 1]!.slice(4).split("\t")[0]!.trim());
      const path = newPath === "/dev/null" || newPath === "dev/null" ? oldPath : newPath;
      if (!file || file.changes.length > 0 || inHunk) {
        file = { path, changes: [], markers: [] };
        files.push(file);
      } else {
        file.path = path;
      }
      i++;
      inHunk = false;
      change = undefined;
      continue;
    }
    if (row.startsWith("@@")) {
      inHunk = true;
      change = undefined;
      continue;
    }
    if (!file) continue;
    if (inHunk && (row.startsWith("-") || row.startsWith("+"))) {
      change ??= file.changes[file.changes.push({ removed: [], added: [] }) - 1]!;
      (row.startsWith("-") ? change.removed : change.added).push(line(row.slice(1)));
      continue;
    }
    if (inHunk && (row.startsWith(" ") || row === "")) {
      change = undefined;
      continue;
    }
    if (inHunk && row.startsWith("\\")) continue;
    const marker = /^(new file mode|deleted file mode|old mode|new mode|rename from|rename to|copy from|copy to|Binary files|GIT binary patch)\b.*/.exec(row);
    if (marker) file.markers.push(marker[1] === "Binary files" || marker[1] === "GIT binary patch" ? "binary" : marker[0].trim());
    inHunk = false;
  }
  return files;
}

function changeText(change: Change): string {
  return [...change.removed.map((l) => `-${l}`), ...change.added.map((l) => `+${l}`)].join("\n");
}

/**
 * A candidate patch against the gold patch: the same files, and in each file the same change groups
 * (removed and added lines, trailing whitespace ignored) in the same order, and the same markers.
 */
export function comparePatches(candidateText: string, goldText: string): Verdict {
  const candidate = parseDiff(candidateText);
  const gold = parseDiff(goldText);
  if (gold.length === 0) return fail("gold-patch-error", "the gold patch has no file changes");
  if (candidate.length === 0) return fail("patch-differs", "the candidate is not a unified diff", 0);
  const goldPaths = new Set(gold.map((f) => f.path));
  const candidatePaths = new Set(candidate.map((f) => f.path));
  const goldChanges = gold.reduce((n, f) => n + f.changes.length, 0);
  let matched = 0;
  const problems: string[] = [];
  const missing = [...goldPaths].filter((p) => !candidatePaths.has(p));
  const extra = [...candidatePaths].filter((p) => !goldPaths.has(p));
  if (missing.length > 0) problems.push(`files not changed: ${missing.join(", ")}`);
  if (extra.length > 0) problems.push(`files the gold leaves alone: ${extra.join(", ")}`);
  for (const goldFile of gold) {
    const mine = candidate.find((f) => f.path === goldFile.path);
    if (!mine) continue;
    goldFile.changes.forEach((change, i) => {
      if (mine.changes[i] && changeText(mine.changes[i]!) === changeText(change)) matched++;
    });
    const firstDiff = goldFile.changes.findIndex((change, i) => !mine.changes[i] || changeText(mine.changes[i]!) !== changeText(change));
    if (firstDiff !== -1) {
      problems.push(`${goldFile.path}: change ${firstDiff + 1} differs (gold ${excerpt(changeText(goldFile.changes[firstDiff]!), 60)})`);
    } else if (mine.changes.length !== goldFile.changes.length) {
      problems.push(`${goldFile.path}: ${mine.changes.length} changes, the gold ${goldFile.changes.length}`);
    } else if (mine.markers.join("|") !== goldFile.markers.join("|")) {
      problems.push(`${goldFile.path}: ${mine.markers.join(", ") || "no markers"} vs gold ${goldFile.markers.join(", ") || "no markers"}`);
    }
  }
  const candidateChanges = candidate.reduce((n, f) => n + f.changes.length, 0);
  const score = Math.max(goldChanges, candidateChanges) === 0 ? (problems.length === 0 ? 1 : 0) : matched / Math.max(goldChanges, candidateChanges);
  if (problems.length === 0) return pass("patch-match", `the same ${goldChanges} changes in ${gold.length} files as the gold patch`, 1);
  return fail("patch-differs", problems.join("; "), score);
}
