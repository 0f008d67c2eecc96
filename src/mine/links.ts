import { LINK_KINDS } from "../records/mine-enums.js";
import type { Evidence, Link, LinkKind, NodeRef } from "../records/mine.js";
import { findReferences, normalizeTitle, revertBranchNumber } from "./references.js";
import type { PrLines } from "./replay.js";
import { BLAME_STRENGTH_FLOOR, jaccard, MODULE_WINDOW_DAYS, moduleOf, scoreLink, WHITESPACE_LINE_WEIGHT } from "./scoring.js";

/** What linking needs to know about one (non-bot) PR. */
export interface LinkablePr {
  number: number;
  /** Position on the mainline; orders PRs by merge. */
  order: number;
  /** Unix seconds. */
  mergedAt: number;
  title: string;
  body: string;
  /** The merged branch (merge PRs): GitHub's revert button names it revert-<N>-<branch>. */
  branch?: string;
  messages: { sha: string; text: string }[];
  files: string[];
  /** Identifies the author across PRs (GitHub login, else lower-cased email). */
  authorKey: string;
  /** Listed in the ignore-revs file or a mass reformat: no blame or module links. */
  blameIgnored: boolean;
  exportClosing: number[];
  exportReferences: number[];
}

/** A line the later PR changes: written by the PR `origin` (code), or last re-indented by it or re-indented now (whitespace). */
export interface BlameHit {
  commit: string;
  path: string;
  line: number;
  origin: number;
  kind: "code" | "whitespace";
}

export interface LinkInput {
  /** "owner/name": references to other repositories are ignored. */
  repo: string;
  prs: readonly LinkablePr[];
  /** Numbers of every recovered PR, bots included: "#N" naming one of them is not an issue. */
  allPrNumbers: ReadonlySet<number>;
  /** Per later PR: its blame hits and how many non-trivial lines it changes in all. */
  blame: ReadonlyMap<number, { hits: readonly BlameHit[]; changed: number }>;
  /** Per PR: keys of the lines it adds and removes, for reverts found by content. */
  lines: ReadonlyMap<number, PrLines>;
  /** The PR that a commit (full or abbreviated sha) belongs to. */
  resolveCommit(sha: string): number | undefined;
}

export interface LinkOutput {
  links: Link[];
  /** Per PR, the issues it closes (keywords and export), ascending. */
  closing: Map<number, number[]>;
}

const MAX_LISTED_LINES = 20;
const DAY = 86_400;

interface Draft {
  kind: LinkKind;
  from: NodeRef;
  to: NodeRef;
  strength: number;
  evidence: Evidence[];
  /** The evidence already held, serialized, so the same evidence found twice is kept once. */
  seen: Set<string>;
}

/** A later PR undoes an earlier one by content when it undoes at least this share of the earlier PR's non-trivial lines… */
export const CONTENT_REVERT_COVERAGE = 0.6;
/** …and more than this share of the lines it adds are restorations (lines some earlier commit removed). */
export const CONTENT_REVERT_RESTORING = 0.5;

/**
 * Links between PRs (and from issues to the PRs closing them), each with its evidence and score:
 * closing keywords (to an issue: `closes`; to a PR: `fixes`), PRs closing the same issue, reverts (by
 * subject, body, revert branch or content), follow-ups, weaker mentions and export cross-references, blame
 * lineage, and same-author work on a shared module. PR-to-PR links always point from the PR merged first to
 * the later one.
 */
export function buildLinks(input: LinkInput): LinkOutput {
  const byNumber = new Map(input.prs.map((pr) => [pr.number, pr]));
  const drafts = new Map<string, Draft>();
  const closing = new Map<number, Map<number, Evidence[]>>();

  const add = (kind: LinkKind, from: NodeRef, to: NodeRef, evidence: Evidence[], strength = 1) => {
    const id = linkId(kind, from, to);
    const draft = drafts.get(id) ?? { kind, from, to, strength, evidence: [], seen: new Set<string>() };
    draft.strength = Math.max(draft.strength, strength);
    drafts.set(id, draft);
    for (const item of evidence) {
      const key = JSON.stringify(item);
      if (draft.seen.has(key)) continue;
      draft.seen.add(key);
      draft.evidence.push(item);
    }
  };
  const betweenPrs = (kind: LinkKind, a: number, b: number, evidence: Evidence[], strength = 1) => {
    const pa = byNumber.get(a);
    const pb = byNumber.get(b);
    if (!pa || !pb || a === b) return;
    const [first, second] = pa.order < pb.order ? [pa, pb] : [pb, pa];
    add(kind, { type: "pr", number: first.number }, { type: "pr", number: second.number }, evidence, strength);
  };
  const closes = (pr: LinkablePr, number: number, evidence: Evidence) => {
    if (input.allPrNumbers.has(number)) {
      betweenPrs("fixes", number, pr.number, [evidence]);
      return;
    }
    const issues = closing.get(pr.number) ?? new Map<number, Evidence[]>();
    closing.set(pr.number, issues);
    pushTo(issues, number, evidence);
    add("closes", { type: "issue", number }, { type: "pr", number: pr.number }, [evidence]);
  };
  const byTitle = titleIndex(input.prs);

  for (const pr of input.prs) {
    const texts: { source: Evidence["source"]; text: string; commit?: string }[] = [
      { source: "title", text: pr.title },
      { source: "body", text: pr.body },
      ...pr.messages.map((m) => ({ source: "commit-message" as const, text: m.text, commit: m.sha })),
    ];
    for (const { source, text, commit } of texts) {
      for (const ref of findReferences(text, input.repo, source === "title")) {
        const evidence: Evidence = { source, text: ref.text, pr: pr.number, ...(commit ? { commit } : {}) };
        if (ref.kind === "closes") closes(pr, ref.number, evidence);
        else if (ref.kind === "follow-up") betweenPrs("follow-up", ref.number, pr.number, [evidence]);
        else if (ref.kind === "mention") betweenPrs("reference", ref.number, pr.number, [evidence]);
        else if (ref.kind === "revert") betweenPrs("revert", ref.number, pr.number, [evidence]);
        else if (ref.kind === "revert-commit") {
          const target = input.resolveCommit(ref.sha);
          if (target !== undefined) betweenPrs("revert", target, pr.number, [evidence]);
        } else if (ref.kind === "revert-title") {
          const target = byTitle.get(normalizeTitle(ref.title))?.findLast((other) => other.order < pr.order && other.number !== pr.number);
          if (target) betweenPrs("revert", target.number, pr.number, [evidence]);
        }
      }
    }
    const branchTarget = pr.branch === undefined ? undefined : revertBranchNumber(pr.branch);
    if (branchTarget !== undefined) betweenPrs("revert", branchTarget, pr.number, [{ source: "branch", text: pr.branch!, pr: pr.number }]);
    for (const number of pr.exportClosing) closes(pr, number, { source: "github-export", text: `closing issue #${number}`, pr: pr.number });
    for (const number of pr.exportReferences) {
      betweenPrs("reference", number, pr.number, [{ source: "github-export", text: `cross-referenced #${number}`, pr: pr.number }]);
    }
  }

  const closers = new Map<number, LinkablePr[]>();
  for (const [number, issues] of closing) for (const issue of issues.keys()) pushTo(closers, issue, byNumber.get(number)!);
  for (const [issue, prs] of closers) {
    prs.sort((a, b) => a.order - b.order);
    for (let i = 1; i < prs.length; i++) {
      const [a, b] = [prs[i - 1]!, prs[i]!];
      betweenPrs("same-issue", a.number, b.number, [...closing.get(a.number)!.get(issue)!, ...closing.get(b.number)!.get(issue)!]);
    }
  }

  for (const [later, { hits, changed }] of input.blame) {
    const pr = byNumber.get(later);
    if (!pr || pr.blameIgnored) continue;
    const byOrigin = new Map<number, BlameHit[]>();
    for (const hit of hits) {
      const origin = byNumber.get(hit.origin);
      if (!origin || origin.blameIgnored || hit.origin === later) continue;
      pushTo(byOrigin, hit.origin, hit);
    }
    for (const [origin, originHits] of byOrigin) {
      const evidence: Evidence[] = [];
      for (const group of groupBy(originHits, (h) => `${h.kind}\0${h.commit}\0${h.path}`)) {
        const lines = group.map((h) => h.line);
        const whitespace = group[0]!.kind === "whitespace";
        evidence.push({
          source: whitespace ? "blame-whitespace" : "blame",
          text: whitespace
            ? `${lines.length} of the lines it changes in ${group[0]!.path} were re-indented by #${origin} or re-indent its lines`
            : `${lines.length} of the lines it changes in ${group[0]!.path} were written by #${origin}`,
          pr: later,
          commit: group[0]!.commit,
          path: group[0]!.path,
          lines: lines.slice(0, MAX_LISTED_LINES),
        });
      }
      const code = originHits.filter((h) => h.kind === "code").length;
      const whitespace = originHits.length - code;
      betweenPrs("blame", origin, later, evidence, Math.min(1, BLAME_STRENGTH_FLOOR + (code + WHITESPACE_LINE_WEIGHT * whitespace) / Math.max(1, changed)));
    }
    contentReverts(later, hits, input.lines, byNumber, (origin, evidence, strength) => betweenPrs("revert", origin, later, [evidence], strength));
  }

  const byAuthor = new Map<string, LinkablePr[]>();
  for (const pr of input.prs) if (!pr.blameIgnored) pushTo(byAuthor, pr.authorKey, pr);
  for (const [author, prs] of byAuthor) {
    for (let i = 1; i < prs.length; i++) {
      const [a, b] = [prs[i - 1]!, prs[i]!];
      const days = Math.abs(b.mergedAt - a.mergedAt) / DAY; // commit times need not grow along the mainline
      const shared = [...modules(a)].filter((m) => modules(b).has(m)).sort();
      if (days > MODULE_WINDOW_DAYS || shared.length === 0) continue;
      const text = `same author (${author}), ${days.toFixed(1)} days apart, shared modules: ${shared.join(", ")}`;
      betweenPrs("module", a.number, b.number, [{ source: "history", text, pr: b.number }]);
    }
  }

  const links = [...drafts.values()].map((draft) => finish(draft, byNumber));
  const kindOrder = (kind: LinkKind) => LINK_KINDS.indexOf(kind);
  const order = (ref: NodeRef) => (ref.type === "pr" ? byNumber.get(ref.number)!.order : -1);
  links.sort(
    (a, b) =>
      order(a.to) - order(b.to) ||
      order(a.from) - order(b.from) ||
      a.from.number - b.from.number ||
      kindOrder(a.kind) - kindOrder(b.kind),
  );
  const closingLists = new Map([...closing].map(([pr, issues]) => [pr, [...issues.keys()].sort((a, b) => a - b)]));
  return { links, closing: closingLists };
}

/** PRs by normalized title and by the subjects of their commits, in merge order: what a revert's subject names. */
function titleIndex(prs: readonly LinkablePr[]): Map<string, LinkablePr[]> {
  const index = new Map<string, LinkablePr[]>();
  const sorted = [...prs].sort((a, b) => a.order - b.order);
  for (const pr of sorted) {
    const subjects = new Set([pr.title, ...pr.messages.map((m) => m.text.split("\n", 1)[0]!)].map(normalizeTitle).filter(Boolean));
    for (const subject of subjects) pushTo(index, subject, pr);
  }
  return index;
}

/**
 * Reverts found by content: the later PR removes lines an earlier PR wrote and adds back lines it removed,
 * undoing at least CONTENT_REVERT_COVERAGE of the earlier PR's non-trivial lines, and more than
 * CONTENT_REVERT_RESTORING of the lines it adds are restorations of lines removed before (so rewriting
 * someone's code is not taken for undoing it, while one revert of several PRs counts for each of them).
 * Strength = the share undone.
 */
function contentReverts(
  later: number,
  hits: readonly BlameHit[],
  lines: ReadonlyMap<number, PrLines>,
  byNumber: ReadonlyMap<number, LinkablePr>,
  link: (origin: number, evidence: Evidence, strength: number) => void,
): void {
  const own = lines.get(later);
  if (!own) return;
  const restoring = own.added.length === 0 ? 1 : own.restored / own.added.length;
  if (restoring <= CONTENT_REVERT_RESTORING) return;
  const removedFrom = new Map<number, number>();
  for (const hit of hits) if (hit.kind === "code" && hit.origin !== later) removedFrom.set(hit.origin, (removedFrom.get(hit.origin) ?? 0) + 1);
  for (const [origin, removed] of removedFrom) {
    const earlier = lines.get(origin);
    if (!earlier || !byNumber.has(origin) || byNumber.get(origin)!.blameIgnored) continue;
    const restored = own.added.filter((key) => earlier.removed.has(key)).length;
    const undone = removed + restored;
    const earlierSize = earlier.added.length + earlier.removedCount;
    if (undone < 2 || earlierSize === 0) continue;
    const coverage = Math.min(1, undone / earlierSize);
    if (coverage < CONTENT_REVERT_COVERAGE) continue;
    link(
      origin,
      {
        source: "diff",
        text: `undoes ${undone} of the ${earlierSize} lines #${origin} changed: removes ${removed} lines it wrote, restores ${restored} lines it removed`,
        pr: later,
      },
      coverage,
    );
  }
}

const moduleCache = new WeakMap<LinkablePr, Set<string>>();
function modules(pr: LinkablePr): Set<string> {
  let set = moduleCache.get(pr);
  if (!set) {
    set = new Set(pr.files.map(moduleOf));
    moduleCache.set(pr, set);
  }
  return set;
}

function finish(draft: Draft, byNumber: ReadonlyMap<number, LinkablePr>): Link {
  const from = draft.from.type === "pr" ? byNumber.get(draft.from.number)! : undefined;
  const to = byNumber.get(draft.to.number)!;
  const overlap = from ? jaccard(modules(from), modules(to)) : null;
  const days = from ? (to.mergedAt - from.mergedAt) / DAY : null;
  return {
    id: linkId(draft.kind, draft.from, draft.to),
    kind: draft.kind,
    from: draft.from,
    to: draft.to,
    ...scoreLink(draft.kind, draft.strength, overlap, days === null ? null : Math.max(0, days)),
    evidence: draft.evidence,
  };
}

export function linkId(kind: LinkKind, from: NodeRef, to: NodeRef): string {
  return `${kind}:${from.type}-${from.number}->${to.type}-${to.number}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) pushTo(groups, key(item), item);
  return [...groups.values()];
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
