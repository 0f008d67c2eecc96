import type { FileStat } from "../records/mine.js";
import { readIgnoreRevs } from "./blame.js";
import { MineError } from "./errors.js";
import type { Git } from "./git.js";
import type { CommitGraph } from "./graph.js";
import { readMainlinePatches } from "./history.js";
import { type BlamedLine, LineOrigins, type LineKeys } from "./lineage.js";
import type { BlameHit } from "./links.js";
import type { CommitPatch } from "./patch-parser.js";
import type { RecoveredPr } from "./prs.js";
import { isMassReformat } from "./reformat.js";
import type { PatchSpill, SpilledPatch } from "./spill.js";
import { isVersionFile, VersionTracker } from "./versions.js";

/** What the later PR's lines say about an earlier one, for revert-by-content detection. */
export interface PrLines {
  /** Keys of the non-trivial lines it adds, and the set of those it removes (see lineKey). */
  added: number[];
  removed: Set<number>;
  removedCount: number;
  /** How many of the lines it adds are lines some earlier commit removed: restorations. */
  restored: number;
}

/** What one pass over the first-parent diffs learns. */
export interface Lineage {
  /** Per PR: first-parent numstat summed over its mainline commits, by path (null counts for binary files). */
  files: Map<number, FileStat[]>;
  /** Per eligible PR: lines it changes that an earlier PR wrote or re-indented, and how many traced lines it changes in all. */
  blame: Map<number, { hits: BlameHit[]; changed: number }>;
  /** Per eligible PR: its own added and removed lines. */
  lines: Map<number, PrLines>;
  ignored: Map<number, "listed" | "detected">;
  listedCommits: number;
  detectedCommits: number;
  blamedLines: number;
  /** The version declared in the repository after each mainline commit (see VersionTracker). */
  versions: (string | undefined)[];
  /** Mainline commits whose diff could not be read, by position, with the reason. */
  unreadable: Map<number, string>;
  /** The spilled diff of each mainline commit that alone makes an eligible PR. */
  patches: Map<number, SpilledPatch>;
}

/**
 * One pass over the first-parent diffs: each PR's files, the mass reformats, blame lineage (which lines each
 * PR changes, and which PR wrote or last re-indented them) and line keys for the eligible PRs, the version
 * declared after each commit, and the diffs of single-commit PRs kept aside (spilled) for their stage patches.
 */
export async function replayLineage(
  git: Git,
  graph: CommitGraph,
  prOfIndex: ReadonlyMap<number, RecoveredPr>,
  eligible: ReadonlySet<number>,
  spill: PatchSpill,
  onCommit: (done: number, total: number) => void,
): Promise<Lineage> {
  const listed = new Set(await readIgnoreRevs(git, graph.tip));
  const origins = new LineOrigins();
  const versions = new VersionTracker();
  const result: Lineage = {
    files: new Map(),
    blame: new Map(),
    lines: new Map(),
    ignored: new Map(),
    listedCommits: 0,
    detectedCommits: 0,
    blamedLines: 0,
    versions: [],
    unreadable: new Map(),
    patches: new Map(),
  };
  const fileTotals = new Map<number, Map<string, FileStat>>();
  /** Keys of every non-trivial line any mainline commit removed so far. */
  const everRemoved = new Set<number>();
  const keepPatch = (sha: string) => {
    const index = graph.landedAt.get(sha);
    const pr = index === undefined ? undefined : prOfIndex.get(index);
    return pr !== undefined && pr.mainline.length === 1 && eligible.has(pr.number);
  };
  // One commit's part of the pass, a function of its own: the async loop around it stays small, so TurboFan
  // compiles it cheaply, and a deoptimization in the per-commit work does not recompile the loop.
  const replayCommit = (commit: CommitPatch, index: number): void => {
    if (commit.error !== undefined) result.unreadable.set(index, commit.error);
    const isListed = listed.has(commit.sha);
    const isDetected = !isListed && isMassReformat(commit);
    if (isListed) result.listedCommits++;
    if (isDetected) result.detectedCommits++;
    const { blamed, keys } = origins.apply(index, commit, isListed || isDetected);
    versions.apply(commit);
    result.versions.push(versions.current());
    const pr = prOfIndex.get(index);
    if (pr) {
      if (isListed || isDetected) result.ignored.set(pr.number, result.ignored.get(pr.number) === "listed" || isListed ? "listed" : "detected");
      addFileStats(fileTotals, pr.number, commit.files);
      if (eligible.has(pr.number)) {
        if (keepPatch(commit.sha)) result.patches.set(index, spill.put(commit));
        addLines(result.lines, pr.number, keys, everRemoved);
        if (blamed.length > 0) {
          const entry = result.blame.get(pr.number) ?? { hits: [], changed: 0 };
          result.blame.set(pr.number, entry);
          entry.changed += distinctLines(blamed);
          result.blamedLines += blamed.length;
          for (const line of blamed) {
            const origin = prOfIndex.get(line.origin);
            if (origin && origin.number !== pr.number) entry.hits.push({ commit: commit.sha, path: line.path, line: line.line, origin: origin.number, kind: line.kind });
          }
        }
      }
    }
    for (const key of keys.removed) everRemoved.add(key);
  };
  let index = 0;
  onCommit(0, graph.mainline.length);
  for await (const commit of readMainlinePatches(git, graph.tip, { lines: true, textFor: isVersionFile, keepPatch })) {
    if (commit.sha !== graph.mainline[index]) {
      if (commit.error !== undefined && commit.sha === "") {
        // Output that belongs to no commit: the record before it is cut short; nothing to attribute.
        continue;
      }
      throw new MineError(`first-parent history of ${graph.tip} in ${git.repo} changed while reading it (expected ${graph.mainline[index]}, got ${commit.sha})`, { code: "git", fix: "mine a repository nothing writes to while acc reads it" });
    }
    replayCommit(commit, index);
    index++;
    if (index % 100 === 0) onCommit(index, graph.mainline.length);
  }
  if (index !== graph.mainline.length) throw new MineError(`first-parent history of ${graph.tip} in ${git.repo}: read ${index} diffs of ${graph.mainline.length} commits`, { code: "git", fix: "mine a repository nothing writes to while acc reads it" });
  for (const [number, totals] of fileTotals) result.files.set(number, [...totals.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  return result;
}

/** How many different (path, line) pairs `blamed` holds; it is sorted by path, then line (see LineOrigins.apply). */
function distinctLines(blamed: readonly BlamedLine[]): number {
  let count = 0;
  for (let i = 0; i < blamed.length; i++) {
    const line = blamed[i]!;
    const previous = blamed[i - 1];
    if (previous === undefined || previous.line !== line.line || previous.path !== line.path) count++;
  }
  return count;
}

function addFileStats(totals: Map<number, Map<string, FileStat>>, pr: number, files: CommitPatchFiles): void {
  const byPath = totals.get(pr) ?? new Map<string, FileStat>();
  totals.set(pr, byPath);
  for (const file of files) {
    const seen = byPath.get(file.path);
    const add = (a: number | null, b: number | null | undefined) => (a === null || b === null ? null : a + (b ?? 0));
    const added = file.binary ? null : file.added;
    const deleted = file.binary ? null : file.deleted;
    byPath.set(file.path, { path: file.path, added: add(added, seen?.added), deleted: add(deleted, seen?.deleted) });
  }
}

type CommitPatchFiles = Parameters<LineOrigins["apply"]>[1]["files"];

function addLines(lines: Map<number, PrLines>, pr: number, keys: LineKeys, everRemoved: ReadonlySet<number>): void {
  const entry = lines.get(pr) ?? { added: [], removed: new Set<number>(), removedCount: 0, restored: 0 };
  lines.set(pr, entry);
  for (const key of keys.added) {
    entry.added.push(key);
    if (everRemoved.has(key)) entry.restored++;
  }
  for (const key of keys.removed) entry.removed.add(key);
  entry.removedCount += keys.removed.length;
}
