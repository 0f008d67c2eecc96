import { type Evidence, type Link, type LinkKind, LinkKind as LinkKinds, type NodeRef } from "../records/mine.js";
import { findReferences } from "./references.js";
import { jaccard, MODULE_WINDOW_DAYS, moduleOf, scoreLink } from "./scoring.js";

/** What linking needs to know about one (non-bot) PR. */
export interface LinkablePr {
  number: number;
  /** Position on the mainline; orders PRs by merge. */
  order: number;
  /** Unix seconds. */
  mergedAt: number;
  title: string;
  body: string;
  messages: { sha: string; text: string }[];
  files: string[];
  /** Identifies the author across PRs (GitHub login, else lower-cased email). */
  authorKey: string;
  /** Listed in the ignore-revs file or a mass reformat: no blame or module links. */
  blameIgnored: boolean;
  exportClosing: number[];
  exportReferences: number[];
}

/** A line the later PR changes, introduced by the PR `origin`. */
export interface BlameHit {
  commit: string;
  path: string;
  line: number;
  origin: number;
}

export interface LinkInput {
  /** "owner/name": references to other repositories are ignored. */
  repo: string;
  prs: readonly LinkablePr[];
  /** Numbers of every recovered PR, bots included: "#N" naming one of them is not an issue. */
  allPrNumbers: ReadonlySet<number>;
  /** Per later PR: its blame hits and how many non-trivial lines it changes in all. */
  blame: ReadonlyMap<number, { hits: readonly BlameHit[]; changed: number }>;
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
}

/**
 * Links between PRs (and from issues to the PRs closing them), each with its evidence and score:
 * closing keywords (to an issue: `closes`; to a PR: `fixes`), PRs closing the same issue, reverts,
 * follow-ups, weaker mentions and export cross-references, blame lineage, and same-author work on a shared
 * module. PR-to-PR links always point from the PR merged first to the later one.
 */
export function buildLinks(input: LinkInput): LinkOutput {
  const byNumber = new Map(input.prs.map((pr) => [pr.number, pr]));
  const drafts = new Map<string, Draft>();
  const closing = new Map<number, Map<number, Evidence[]>>();

  const add = (kind: LinkKind, from: NodeRef, to: NodeRef, evidence: Evidence[], strength = 1) => {
    const id = linkId(kind, from, to);
    const draft = drafts.get(id) ?? { kind, from, to, strength, evidence: [] };
    drafts.set(id, draft);
    for (const item of evidence) {
      const key = JSON.stringify(item);
      if (!draft.evidence.some((e) => JSON.stringify(e) === key)) draft.evidence.push(item);
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
          const target = [...input.prs].reverse().find((other) => other.order < pr.order && other.title.trim() === ref.title.trim());
          if (target) betweenPrs("revert", target.number, pr.number, [evidence]);
        }
      }
    }
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
      for (const group of groupBy(originHits, (h) => `${h.commit}\0${h.path}`)) {
        const lines = group.map((h) => h.line);
        evidence.push({
          source: "blame",
          text: `${lines.length} of the lines it changes in ${group[0]!.path} were written by #${origin}`,
          pr: later,
          commit: group[0]!.commit,
          path: group[0]!.path,
          lines: lines.slice(0, MAX_LISTED_LINES),
        });
      }
      betweenPrs("blame", origin, later, evidence, Math.min(1, 0.5 + originHits.length / changed));
    }
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
  const kindOrder = (kind: LinkKind) => LinkKinds.options.indexOf(kind);
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
