import type { RecoveryMethod } from "../records/mine.js";
import type { CommitGraph } from "./graph.js";
import type { CommitInfo } from "./history.js";

/** A pull request recovered from the commit graph alone (before GitHub metadata and filtering). */
export interface RecoveredPr {
  number: number;
  method: RecoveryMethod;
  /** Positions of the mainline commits that landed it: one for merge and squash, the run for rebase. */
  mainline: number[];
  baseCommit: string;
  mergeCommit: string;
  headCommit: string;
  /** The PR's own commits: the merged branch's commits, the squash commit, or the rebased run. */
  commits: string[];
  title: string;
  body: string;
  /** The merged branch ("owner/branch" from the merge subject), for merge PRs. */
  branch?: string;
  author: { name: string; email: string };
  /** Unix seconds: earliest author time among its commits, and committer time of the landing commit. */
  createdAt: number;
  mergedAt: number;
  /** Messages to search for references besides title and body: the branch commits of a merge, the run of a rebase. */
  messages: { sha: string; text: string }[];
}

export interface Recovery {
  prs: RecoveredPr[];
  /** Mainline commits that carry no PR marker (direct pushes, other merge styles, the root commit). */
  unattributed: number;
  /** Mainline commits whose PR number was already taken by an earlier one (kept unattributed). */
  duplicates: { sha: string; number: number }[];
}

const MERGE_SUBJECT = /^Merge pull request #(\d+) from (\S+)/;
const SQUASH_SUBJECT = /^(.*?)\s*\(#(\d+)\)\s*$/;
/** Trailers that tools put on rebased or cherry-picked PR commits (Gerrit-style, Node's PR-URL). */
const PR_TRAILER = /^(?:Pull-Request|PR-URL|PR)\s*:\s*(?:https?:\/\/\S+\/pull\/|#)(\d+)\/?\s*$/gim;

export function splitMessage(message: string): { subject: string; body: string } {
  const trimmed = message.replace(/\s+$/, "");
  const newline = trimmed.indexOf("\n");
  if (newline === -1) return { subject: trimmed, body: "" };
  return { subject: trimmed.slice(0, newline).trim(), body: trimmed.slice(newline + 1).replace(/^\s*\n/, "").trim() };
}

function trailerNumber(message: string): number | undefined {
  let last: number | undefined;
  for (const match of message.matchAll(PR_TRAILER)) last = Number(match[1]);
  return last;
}

function withoutTrailers(body: string): string {
  return body.replace(PR_TRAILER, "").trim();
}

/**
 * Recovers PRs from the mainline, oldest first:
 * - merge: a merge commit "Merge pull request #N from <branch>"; its commits are first parent..second
 *   parent, its title is the first line of the merge message body (GitHub puts the PR title there);
 * - squash: a single-parent commit whose subject ends "(#N)" (GitHub's squash title);
 * - rebase: a run of consecutive single-parent commits carrying the same `Pull-Request: #N`, `PR: #N` or
 *   `PR-URL: …/pull/N` trailer. Rebase merges without such a trailer leave no trace in git and stay
 *   unattributed (the GitHub export cannot place them either, since it has no commit list).
 * A number seen again later (backports, cherry-picks) keeps its first PR; the later commit is reported.
 */
export function recoverPrs(graph: CommitGraph): Recovery {
  const prs: RecoveredPr[] = [];
  const taken = new Set<number>();
  const duplicates: Recovery["duplicates"] = [];
  let unattributed = 0;
  const { mainline, commits } = graph;
  const claim = (number: number, sha: string): boolean => {
    if (!taken.has(number)) {
      taken.add(number);
      return true;
    }
    duplicates.push({ sha, number });
    unattributed++;
    return false;
  };

  for (let index = 0; index < mainline.length; index++) {
    const sha = mainline[index]!;
    const commit = commits.get(sha)!;
    if (commit.parents.length === 0) {
      unattributed++;
      continue;
    }
    const { subject, body } = splitMessage(commit.message);
    const base = { baseCommit: commit.parents[0]!, mergeCommit: sha, mergedAt: commit.committerTime };
    const merge = commit.parents.length >= 2 ? MERGE_SUBJECT.exec(subject) : null;
    if (merge) {
      if (!claim(Number(merge[1]), sha)) continue;
      const side = graph.sideCommits.get(index) ?? [];
      const head = commits.get(commit.parents[1]!);
      const { subject: title, body: rest } = splitMessage(body);
      prs.push(recoveredPr({
        number: Number(merge[1]),
        method: "merge",
        mainline: [index],
        ...base,
        headCommit: commit.parents[1]!,
        commits: side,
        title: title || merge[2]!,
        body: rest,
        branch: merge[2]!,
        author: head ? { name: head.authorName, email: head.authorEmail } : { name: commit.authorName, email: commit.authorEmail },
        createdAt: Math.min(commit.authorTime, ...side.map((s) => commits.get(s)!.authorTime)),
        messages: side.map((s) => ({ sha: s, text: commits.get(s)!.message })),
      }));
      continue;
    }
    const squash = commit.parents.length === 1 ? SQUASH_SUBJECT.exec(subject) : null;
    if (squash) {
      if (!claim(Number(squash[2]), sha)) continue;
      prs.push(recoveredPr({
        number: Number(squash[2]),
        method: "squash",
        mainline: [index],
        ...base,
        headCommit: sha,
        commits: [sha],
        title: squash[1]!,
        body,
        author: { name: commit.authorName, email: commit.authorEmail },
        createdAt: commit.authorTime,
        messages: [],
      }));
      continue;
    }
    const number = commit.parents.length === 1 ? trailerNumber(commit.message) : undefined;
    if (number === undefined || !claim(number, sha)) {
      if (number === undefined) unattributed++;
      continue;
    }
    const continuesRun = (next: CommitInfo | undefined) =>
      next !== undefined && next.parents.length === 1 && !SQUASH_SUBJECT.test(splitMessage(next.message).subject) && trailerNumber(next.message) === number;
    const run = [index];
    while (continuesRun(commits.get(mainline[index + run.length] ?? ""))) run.push(index + run.length);
    const shas = run.map((i) => mainline[i]!);
    const last = commits.get(shas.at(-1)!)!;
    prs.push(recoveredPr({
      number,
      method: "rebase",
      mainline: run,
      ...base,
      mergeCommit: last.sha,
      headCommit: last.sha,
      mergedAt: last.committerTime,
      commits: shas,
      title: subject,
      body: withoutTrailers(body),
      author: { name: commit.authorName, email: commit.authorEmail },
      createdAt: Math.min(...shas.map((s) => commits.get(s)!.authorTime)),
      messages: shas.slice(1).map((s) => ({ sha: s, text: commits.get(s)!.message })),
    }));
    index += run.length - 1;
  }
  return { prs, unattributed, duplicates };
}

/**
 * A recovered PR with its fields always in one order, `branch` included (undefined but for merges): PRs of
 * the three methods built as different literals had three shapes, and every loop over PRs was polymorphic.
 */
function recoveredPr(pr: RecoveredPr): RecoveredPr {
  return {
    number: pr.number,
    method: pr.method,
    mainline: pr.mainline,
    baseCommit: pr.baseCommit,
    mergeCommit: pr.mergeCommit,
    headCommit: pr.headCommit,
    commits: pr.commits,
    title: pr.title,
    body: pr.body,
    branch: pr.branch,
    author: pr.author,
    createdAt: pr.createdAt,
    mergedAt: pr.mergedAt,
    messages: pr.messages,
  };
}

/** Dependabot, Renovate and other automation: `[bot]` accounts, known bot names, or GitHub's author type Bot. */
export function isBot(author: { name: string; email: string; login?: string; type?: string }): boolean {
  if (author.type?.toLowerCase() === "bot") return true;
  const names = [author.name, author.email, author.login ?? ""].map((s) => s.toLowerCase());
  return names.some((n) => n.includes("[bot]") || /^(dependabot|renovate|greenkeeper|snyk-bot|pre-commit-ci|github-actions)\b/.test(n));
}

/** The PR (among `eligible`) that a commit belongs to, by full sha or by an unambiguous abbreviation. */
export function commitResolver(graph: CommitGraph, prOfIndex: ReadonlyMap<number, RecoveredPr>, eligible: ReadonlySet<number>): (sha: string) => number | undefined {
  const owner = new Map<string, number>();
  for (const pr of new Set(prOfIndex.values())) {
    if (!eligible.has(pr.number)) continue;
    for (const sha of [...pr.commits, ...pr.mainline.map((i) => graph.mainline[i]!)]) owner.set(sha, pr.number);
  }
  const sorted = [...owner.keys()].sort();
  return (sha) => {
    if (owner.has(sha)) return owner.get(sha);
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (sorted[mid]! < sha) low = mid + 1;
      else high = mid;
    }
    const match = sorted[low];
    const unique = match?.startsWith(sha) && !sorted[low + 1]?.startsWith(sha);
    return unique ? owner.get(match!) : undefined;
  };
}
