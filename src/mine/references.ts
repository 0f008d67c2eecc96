/** A reference found in a PR title, body or commit message. */
export type Reference =
  | { kind: "closes" | "follow-up" | "mention" | "revert"; number: number; text: string }
  | { kind: "revert-commit"; sha: string; text: string }
  | { kind: "revert-title"; title: string; text: string };

const REPO = String.raw`[\w.-]+\/[\w.-]+`;
/** `#N`, `owner/repo#N`, or a GitHub issue or pull URL; group 1 = owner/repo (optional), 2 = N; or 3 = owner/repo, 4 = N. */
const TARGET = String.raw`(?:(${REPO})?#(\d+)|https?:\/\/github\.com\/(${REPO})\/(?:issues|pull)\/(\d+))`;
/** GitHub's closing keywords, with an optional colon ("Fixes: #12"). */
const CLOSES = new RegExp(String.raw`\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?:\s*:\s*|\s+)${TARGET}`, "gi");
const FOLLOW_UP = new RegExp(String.raw`\bfollow(?:[- ]?up)(?:\s+(?:to|of|for|on))?(?:\s*:\s*|\s+)${TARGET}`, "gi");
const MENTION = new RegExp(String.raw`\b(?:refs?|see|related(?:\s+to)?|part\s+of|cf\.?)(?:\s*:\s*|\s+)${TARGET}`, "gi");
const TARGETS = new RegExp(TARGET, "gi");
/** git revert's default message body. */
const REVERT_COMMIT = /\bThis reverts commit ([0-9a-f]{7,64})\b/gi;
/**
 * A line that says it reverts something, the verb first (after "[tag]" or "type(scope):" prefixes):
 * "Revert", "Reverts", "Reverting", "Partially revert", "Partial revert of", "Back out", "Backout",
 * "Backed out changeset". Group 1 = what follows the verb.
 */
const REVERT_LINE =
  /^(?:\s*(?:\[[^\]\n]*\]|[a-z]+(?:\([^)\n]*\))?!?:)\s*)*(?:partial(?:ly)?\s+)?(?:revert(?:s|ed|ing)?|back(?:ed|ing)?[- ]?out|backout)\b(?:\s+(?:of|the|commit|commits|pr|pull request|changes?(?:et)?(?: from| of| in)?)\b)*[\s:]*(.*)$/gim;
/** A commit id in free text: 7–64 hex digits with at least one digit (so words like "defaced" are not shas). */
const SHA = /\b(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b/gi;
/** GitHub's revert button names the branch revert-<N>-<branch>. */
const REVERT_BRANCH = /(?:^|\/)revert-(\d+)-/;

/** Drops HTML comments (PR templates hide instructions in them), as SWE-bench does before matching. */
export function stripHtmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, "");
}

/** Lower case, one space, no trailing "(#N)" or punctuation: how a revert's subject is compared with titles. */
export function normalizeTitle(title: string): string {
  return title
    .replace(/\s*\(#\d+\)\s*$/, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^[\s"'`]+|[\s"'`.!]+$/g, "");
}

/**
 * Every reference in `text` to an issue or PR of `repo` ("owner/name", compared case-insensitively);
 * references to other repositories are skipped. `title` is true for a PR title, where an unquoted
 * "Revert <subject>" names the reverted PR by its title.
 */
export function findReferences(text: string, repo: string, title = false): Reference[] {
  const clean = stripHtmlComments(text);
  const out: Reference[] = [];
  const local = (match: RegExpMatchArray) => {
    const other = match[1] ?? match[3];
    if (other !== undefined && other.toLowerCase() !== repo.toLowerCase()) return undefined;
    const number = Number(match[2] ?? match[4]);
    return number > 0 ? number : undefined;
  };
  const numbered = (pattern: RegExp, kind: "closes" | "follow-up" | "mention") => {
    for (const match of clean.matchAll(pattern)) {
      const number = local(match);
      if (number !== undefined) out.push({ kind, number, text: match[0] });
    }
  };
  numbered(CLOSES, "closes");
  numbered(FOLLOW_UP, "follow-up");
  numbered(MENTION, "mention");
  for (const match of clean.matchAll(REVERT_COMMIT)) out.push({ kind: "revert-commit", sha: match[1]!.toLowerCase(), text: match[0] });
  for (const match of clean.matchAll(REVERT_LINE)) {
    if (/^\s*This reverts commit/i.test(match[0])) continue;
    out.push(...revertTargets(match[0].trim(), match[1]!.trim(), title && clean.trim().startsWith(match[0].trim()), local));
  }
  return out;
}

/** What a revert line names: a quoted title, PR numbers, commit ids, else (in a title) its words as a title. */
function revertTargets(line: string, rest: string, isTitle: boolean, local: (match: RegExpMatchArray) => number | undefined): Reference[] {
  const quoted = /^["“'`](.+)["”'`]/.exec(rest);
  if (quoted) {
    const inner = /\(#(\d+)\)\s*$/.exec(quoted[1]!);
    return [inner ? { kind: "revert", number: Number(inner[1]), text: line } : { kind: "revert-title", title: quoted[1]!, text: line }];
  }
  const out: Reference[] = [];
  const body = rest.replace(/\s*\(#\d+\)\s*$/, ""); // a squash title's own number is not the target
  const bare = /^(?:pr\s*|pull request\s*)?(\d{1,7})\s*$/i.exec(body); // "reverting 3362"
  if (bare) return [{ kind: "revert", number: Number(bare[1]), text: line }];
  for (const match of body.matchAll(TARGETS)) {
    const number = local(match);
    if (number !== undefined) out.push({ kind: "revert", number, text: line });
  }
  for (const match of body.matchAll(SHA)) out.push({ kind: "revert-commit", sha: match[0].toLowerCase(), text: line });
  if (out.length === 0 && isTitle && body) out.push({ kind: "revert-title", title: body, text: line });
  return out;
}

/** The PR a GitHub revert branch ("revert-123-main") reverts. */
export function revertBranchNumber(branch: string): number | undefined {
  const match = REVERT_BRANCH.exec(branch);
  return match ? Number(match[1]) : undefined;
}
