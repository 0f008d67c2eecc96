import type { Git } from "./git.js";
import { type CommitInfo, readCommits } from "./history.js";

/**
 * The commit graph reachable from one ref: its first-parent line ("mainline", oldest first) and, for every
 * commit, the mainline position at which it became reachable. For a merge at position i the commits that
 * landed at i (other than the merge) are exactly `first parent..second parent`: everything reachable from
 * the first parent landed earlier.
 */
export interface CommitGraph {
  tip: string;
  commits: Map<string, CommitInfo>;
  mainline: string[];
  landedAt: Map<string, number>;
  /** Mainline position → the side commits that landed with that merge, oldest commit time first. */
  sideCommits: Map<number, string[]>;
}

/** The graph reachable from `tip` (a full commit sha). */
export async function readGraph(git: Git, tip: string, onCommit?: (count: number) => void): Promise<CommitGraph> {
  const commits = new Map<string, CommitInfo>();
  for await (const commit of readCommits(git, tip)) {
    commits.set(commit.sha, commit);
    onCommit?.(commits.size);
  }
  return { tip, commits, ...landing(commits, tip) };
}

/** Walks first parents from the tip, then assigns every commit the mainline position it landed at. */
export function landing(commits: ReadonlyMap<string, CommitInfo>, tip: string): Omit<CommitGraph, "tip" | "commits"> {
  const mainline: string[] = [];
  for (let sha: string | undefined = tip; sha !== undefined && commits.has(sha); sha = commits.get(sha)!.parents[0]) mainline.push(sha);
  mainline.reverse();
  const landedAt = new Map<string, number>();
  const sideCommits = new Map<number, string[]>();
  mainline.forEach((sha, index) => {
    landedAt.set(sha, index);
    const side: string[] = [];
    const stack = commits.get(sha)!.parents.slice(1);
    while (stack.length > 0) {
      const next = stack.pop()!;
      const commit = commits.get(next);
      if (commit === undefined || landedAt.has(next)) continue; // outside a shallow clone, or landed earlier
      landedAt.set(next, index);
      side.push(next);
      stack.push(...commit.parents);
    }
    if (side.length > 0) {
      side.sort((a, b) => commits.get(a)!.committerTime - commits.get(b)!.committerTime || (a < b ? -1 : 1));
      sideCommits.set(index, side);
    }
  });
  return { mainline, landedAt, sideCommits };
}
