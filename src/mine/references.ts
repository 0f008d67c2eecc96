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
/** GitHub's revert button writes "Reverts owner/repo#N" in the PR body. */
const REVERTS = new RegExp(String.raw`\breverts\s+${TARGET}`, "gi");
/** git revert's default message body. */
const REVERT_COMMIT = /\bThis reverts commit ([0-9a-f]{7,64})\b/gi;
/** git revert's and GitHub's default title: Revert "<original title>". */
const REVERT_TITLE = /^Revert "(.+)"\s*$/;

/** Drops HTML comments (PR templates hide instructions in them), as SWE-bench does before matching. */
export function stripHtmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, "");
}

/**
 * Every reference in `text` to an issue or PR of `repo` ("owner/name", compared case-insensitively);
 * references to other repositories are skipped. `title` is true for a PR title, where `Revert "…"` counts.
 */
export function findReferences(text: string, repo: string, title = false): Reference[] {
  const clean = stripHtmlComments(text);
  const out: Reference[] = [];
  const numbered = (pattern: RegExp, kind: "closes" | "follow-up" | "mention" | "revert") => {
    for (const match of clean.matchAll(pattern)) {
      const other = match[1] ?? match[3];
      if (other !== undefined && other.toLowerCase() !== repo.toLowerCase()) continue;
      const number = Number(match[2] ?? match[4]);
      if (number > 0) out.push({ kind, number, text: match[0] });
    }
  };
  numbered(CLOSES, "closes");
  numbered(FOLLOW_UP, "follow-up");
  numbered(MENTION, "mention");
  numbered(REVERTS, "revert");
  for (const match of clean.matchAll(REVERT_COMMIT)) out.push({ kind: "revert-commit", sha: match[1]!.toLowerCase(), text: match[0] });
  if (title) {
    const match = REVERT_TITLE.exec(clean.trim());
    if (match) {
      const inner = /\(#(\d+)\)\s*$/.exec(match[1]!);
      out.push(inner ? { kind: "revert", number: Number(inner[1]), text: match[0] } : { kind: "revert-title", title: match[1]!, text: match[0] });
    }
  }
  return out;
}
