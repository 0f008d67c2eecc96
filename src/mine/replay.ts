import type { FileStat } from "../records/mine.js";
import { readIgnoreRevs } from "./blame.js";
import type { Git } from "./git.js";
import type { CommitGraph } from "./graph.js";
import { readMainlineDiffs } from "./history.js";
import { LineOrigins } from "./lineage.js";
import type { BlameHit } from "./links.js";
import type { RecoveredPr } from "./prs.js";
import { isMassReformat } from "./reformat.js";

/** What one pass over the first-parent diffs learns. */
export interface Lineage {
  /** Per PR: first-parent numstat summed over its mainline commits, by path. */
  files: Map<number, FileStat[]>;
  /** Per eligible PR: lines it changes that an earlier PR wrote, and how many non-trivial lines it changes in all. */
  blame: Map<number, { hits: BlameHit[]; changed: number }>;
  ignored: Map<number, "listed" | "detected">;
  listedCommits: number;
  detectedCommits: number;
  blamedLines: number;
}

/**
 * One pass over the first-parent diffs: each PR's files, the mass reformats, and blame lineage (which lines
 * each PR changes, and which PR wrote them) for the eligible PRs.
 */
export async function replayLineage(
  git: Git,
  graph: CommitGraph,
  prOfIndex: ReadonlyMap<number, RecoveredPr>,
  eligible: ReadonlySet<number>,
  onCommit: (done: number, total: number) => void,
): Promise<Lineage> {
  const listed = new Set(await readIgnoreRevs(git, graph.tip));
  const origins = new LineOrigins();
  const result: Lineage = { files: new Map(), blame: new Map(), ignored: new Map(), listedCommits: 0, detectedCommits: 0, blamedLines: 0 };
  const fileTotals = new Map<number, Map<string, FileStat>>();
  let index = 0;
  for await (const diff of readMainlineDiffs(git, graph.tip)) {
    if (diff.sha !== graph.mainline[index]) {
      throw new Error(`first-parent history of ${graph.tip} in ${git.repo} changed while reading it (expected ${graph.mainline[index]}, got ${diff.sha})`);
    }
    const isListed = listed.has(diff.sha);
    const isDetected = !isListed && isMassReformat(diff);
    if (isListed) result.listedCommits++;
    if (isDetected) result.detectedCommits++;
    const blamed = origins.apply(index, diff, isListed || isDetected);
    const pr = prOfIndex.get(index);
    if (pr) {
      if (isListed || isDetected) result.ignored.set(pr.number, result.ignored.get(pr.number) === "listed" || isListed ? "listed" : "detected");
      const totals = fileTotals.get(pr.number) ?? new Map<string, FileStat>();
      fileTotals.set(pr.number, totals);
      for (const file of diff.files) {
        const seen = totals.get(file.path);
        const add = (a: number | null, b: number | null | undefined) => (a === null || b === null ? null : a + (b ?? 0));
        totals.set(file.path, { path: file.path, added: add(file.added, seen?.added), deleted: add(file.deleted, seen?.deleted) });
      }
      if (eligible.has(pr.number) && blamed.length > 0) {
        const entry = result.blame.get(pr.number) ?? { hits: [], changed: 0 };
        result.blame.set(pr.number, entry);
        entry.changed += blamed.length;
        result.blamedLines += blamed.length;
        for (const line of blamed) {
          const origin = prOfIndex.get(line.origin);
          if (origin && origin.number !== pr.number) entry.hits.push({ commit: diff.sha, path: line.path, line: line.line, origin: origin.number });
        }
      }
    }
    index++;
    if (index % 100 === 0) onCommit(index, graph.mainline.length);
  }
  for (const [number, totals] of fileTotals) result.files.set(number, [...totals.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  return result;
}
