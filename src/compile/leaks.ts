import type { EvidencePiece } from "../records/sample.js";

/**
 * What must not appear in a compiled prompt, normalised (see `normaliseForLeaks`):
 * - `answer`: the target answer, when it is long enough that finding it word for word in a piece means
 *   the piece holds the answer rather than quotes a name or a number the answer also uses;
 * - `lines`: the added lines of the gold patch that say something (not blank, not `}` or `else:`), less
 *   those the code already had before the fix (the patch's own context and removed lines, and the
 *   patched files at the base commit when they are known);
 * - `pairs`: each such line joined to its neighbour in the patched file: a file view that has them
 *   next to each other shows the file after the fix. Evidence (the patched files as they were) is held
 *   to these, since an added line may also stand elsewhere in the file before the fix;
 * - `diffFiles`: the patched files: a diff of one of them shows the fix.
 */
export interface LeakProbes {
  answer?: string;
  lines: string[];
  pairs: string[];
  diffFiles: string[];
}

/** Why a piece was cut: it holds the answer, an added line of the gold patch, or a diff of a patched file. */
export type LeakKind = "answer" | "added-line" | "gold-diff";

/** Shorter answers are names and figures that evidence rightly quotes. */
export const MIN_ANSWER_CHARS = 40;
/** An added line shorter than this (normalised), or with fewer than two words, says too little to leak. */
export const MIN_LINE_CHARS = 16;

/**
 * Lower case, backslashes dropped (`sed` and JSON escapes), every run of white space one space: the
 * same code reads alike in a file view, a `sed` command, a diff and an escaped string.
 */
export function normaliseForLeaks(text: string): string {
  return text.toLowerCase().replaceAll("\\", "").replace(/\s+/g, " ").trim();
}

/**
 * The probes for one sample. `answer` is the target answer; `patch` the gold patch (SWE); `before`
 * the patched files' text before the fix, when known (read at the base commit).
 */
export function leakProbes(answer: string, patch: string | null, before: readonly string[] = []): LeakProbes {
  const probes: LeakProbes = { lines: [], pairs: [], diffFiles: [] };
  const normalisedAnswer = normaliseForLeaks(answer);
  if (normalisedAnswer.length >= MIN_ANSWER_CHARS) probes.answer = normalisedAnswer;
  if (patch === null || patch.trim() === "") return probes;
  const hunks = patchHunks(patch);
  const preimage = new Set(hunks.flatMap((hunk) => hunk.filter((line) => line.side !== "+").map((line) => line.text)));
  const knownBefore = before.map(normaliseForLeaks);
  const alreadyThere = (text: string) => preimage.has(text) || knownBefore.some((file) => file.includes(text));
  const lines = new Set<string>();
  const pairs = new Set<string>();
  for (const hunk of hunks) {
    const after = hunk.filter((line) => line.side !== "-" && line.text !== "");
    after.forEach((line, i) => {
      if (line.side !== "+" || !saysSomething(line.text) || alreadyThere(line.text)) return;
      lines.add(line.text);
      for (const pair of [i > 0 ? `${after[i - 1]!.text} ${line.text}` : undefined, i + 1 < after.length ? `${line.text} ${after[i + 1]!.text}` : undefined]) {
        if (pair !== undefined && !knownBefore.some((file) => file.includes(pair))) pairs.add(pair);
      }
    });
  }
  probes.lines = [...lines];
  probes.pairs = [...pairs];
  probes.diffFiles = filesOfPatch(patch);
  return probes;
}

/** What in `piece` gives the answer away, or undefined. Evidence is held to pairs, other pieces to single lines. */
export function leakIn(piece: EvidencePiece, probes: LeakProbes): LeakKind | undefined {
  if (probes.diffFiles.length > 0 && diffsOneOf(piece.text, probes.diffFiles)) return "gold-diff";
  if (probes.answer === undefined && probes.lines.length === 0) return undefined;
  const text = normaliseForLeaks(piece.text);
  if (probes.answer !== undefined && text.includes(probes.answer)) return "answer";
  const lines = piece.role === "evidence" ? probes.pairs : probes.lines;
  return lines.some((line) => text.includes(line)) ? "added-line" : undefined;
}

interface PatchLine {
  side: "+" | "-" | " ";
  text: string;
}

/** The hunks of a unified diff, each line normalised with its side. */
function patchHunks(patch: string): PatchLine[][] {
  const hunks: PatchLine[][] = [];
  let hunk: PatchLine[] | undefined;
  for (const raw of patch.replaceAll("\r\n", "\n").split("\n")) {
    if (raw.startsWith("@@")) {
      hunk = [];
      hunks.push(hunk);
      continue;
    }
    if (hunk === undefined || raw.startsWith("+++") || raw.startsWith("---") || raw.startsWith("diff --git")) {
      if (raw.startsWith("diff --git")) hunk = undefined;
      continue;
    }
    const side = raw[0];
    if (side === "+" || side === "-" || side === " ") hunk.push({ side, text: normaliseForLeaks(raw.slice(1)) });
    else if (raw === "") hunk.push({ side: " ", text: "" });
  }
  return hunks;
}

function saysSomething(line: string): boolean {
  return line.length >= MIN_LINE_CHARS && (line.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0) >= 2;
}

function filesOfPatch(patch: string): string[] {
  const files = new Set<string>();
  for (const match of patch.matchAll(/^(?:diff --git a\/\S+ b\/(\S+)|\+\+\+ b\/(\S+))/gm)) files.add(match[1] ?? match[2]!);
  return [...files];
}

/** True when `text` holds a diff header (`diff --git`, `+++`) of one of `files`. */
function diffsOneOf(text: string, files: readonly string[]): boolean {
  for (const match of text.matchAll(/^[ \t]*(?:diff --git a\/\S+ b\/(\S+)|\+\+\+ (?:b\/)?(\S+))/gm)) {
    const path = match[1] ?? match[2]!;
    if (files.some((file) => path === file || path.endsWith(`/${file}`))) return true;
  }
  return false;
}
