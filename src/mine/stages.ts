import type { StageLabel } from "../records/mine.js";
import { stripHtmlComments } from "./references.js";
import { isTestPath } from "./test-paths.js";

export interface StageFacts {
  title: string;
  body: string;
  labels: readonly string[];
  files: readonly string[];
  /** The PR is the later end of a revert link. */
  reverts: boolean;
  blameIgnored: boolean;
}

const FIX_TITLE = /^fix(\(.+?\))?!?:|\b(fix(e[sd])?|bug(fix)?|hotfix|regression|crash(es)?|broken|typo)\b/i;
const REFACTOR_TITLE =
  /^(refactor|chore|style)(\(.+?\))?!?:|\b(refactor\w*|clean[- ]?up|renamed?|restructur\w*|simplif\w*|reorgani[sz]\w*|tidy|reformat\w*|lint)\b/i;
const TEST_TITLE = /^tests?(\(.+?\))?!?:/i;

/**
 * One label per stage, first rule that applies: revert (a revert link or a `Revert` title); test (every file
 * is a test, or a `test:` title); fix (a bug/fix/regression label or a fix-like title); refactor (a
 * refactor/cleanup/chore label, a refactor-like title, or a commit blame looks through); feature otherwise.
 */
export function labelStage(stage: StageFacts): StageLabel {
  const labels = stage.labels.join(" ").toLowerCase();
  if (stage.reverts || /^revert\b/i.test(stage.title)) return "revert";
  if ((stage.files.length > 0 && stage.files.every(isTestPath)) || TEST_TITLE.test(stage.title)) return "test";
  if (/\b(bug|fix|regression)/.test(labels) || FIX_TITLE.test(stage.title)) return "fix";
  if (/\b(refactor|clean|chore)/.test(labels) || REFACTOR_TITLE.test(stage.title) || stage.blameIgnored) return "refactor";
  return "feature";
}

/** Lines shorter than this (trimmed) are too common to count as leaking the patch. */
export const MIN_LEAK_LINE_CHARS = 12;

/**
 * Drops instruction lines that contain a line the gold patch adds (trimmed, at least MIN_LEAK_LINE_CHARS
 * long, with a letter or digit), and the whole fenced code block around any such line, so the task text
 * never hands over the solution. Returns the text and how many lines were dropped.
 */
export function redactLeaks(text: string, addedLines: readonly string[]): { text: string; redacted: number } {
  // Only an added line the text contains can be in one of its lines: one search of the short text per added
  // line comes before anything else is asked of it.
  const needles: string[] = [];
  for (const line of addedLines) {
    if (line.length < MIN_LEAK_LINE_CHARS) continue;
    const needle = line.trim();
    if (needle.length >= MIN_LEAK_LINE_CHARS && text.includes(needle) && /[\p{L}\p{N}]/u.test(needle)) needles.push(needle);
  }
  const lines = text.split("\n");
  const leaks = lines.map((line) => needles.some((needle) => line.includes(needle)));
  const drop = [...leaks];
  // A fenced block (``` … ```) with one leaking line goes entirely: the rest of the snippet is the patch too.
  let open = -1;
  lines.forEach((line, i) => {
    if (!line.trim().startsWith("```")) return;
    if (open === -1) {
      open = i;
      return;
    }
    if (leaks.slice(open, i + 1).some(Boolean)) drop.fill(true, open, i + 1);
    open = -1;
  });
  const kept = lines.filter((_, i) => !drop[i]);
  // A list heading whose items all went ("Commits:") says nothing on its own.
  const joined = kept.join("\n").replace(/^(?:Commits|Related issues):\n(?=\n|$)/gm, "");
  return { text: joined.replace(/\n{3,}/g, "\n\n").trim(), redacted: lines.length - kept.length };
}

export interface IssueText {
  number: number;
  title: string;
  body: string;
}

/** Everything offline that says what a stage is about, as a developer had it before writing the PR. */
export interface StatementSources {
  title: string;
  /** The PR description (export), else the merge or squash commit's message body. */
  body: string;
  /** The PR's own commit messages (the merged branch's, or the rebased run's), oldest first. */
  messages: readonly string[];
  /** Issues it closes, with their text when the GitHub export has it. */
  closing: readonly number[];
  issues: readonly IssueText[];
  /** Other issues it mentions whose title the export has. */
  referenced: readonly IssueText[];
}

/** Trailers that say who, not what: sign-offs, co-authors, reviewers, tool bookkeeping. */
const BOOKKEEPING = /^\s*(?:[\w-]+-by|Co-authored-by|PR-URL|Pull-Request|Change-Id|Reviewed-on|Cc)\s*:.*$/gim;

/** GitHub stores squash bodies written in its web editor with CRLF line ends: one kind of line end in statements. */
function clean(text: string): string {
  return stripHtmlComments(text.replace(/\r\n?/g, "\n")).replace(BOOKKEEPING, "").replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * The task text of a stage from all offline text: the PR title and description, its commit messages (those
 * that add something: not merges of the base branch, not repeats of the title), the issues it closes (title
 * and body from the export, else their number) and the titles of other issues it mentions. HTML comments and
 * bookkeeping trailers are removed; leaks of the patch are redacted by the caller.
 */
export function stageInstruction(sources: StatementSources): string {
  const title = sources.title.trim();
  const body = clean(sources.body);
  const parts = [title, body];
  const seen = new Set([title.toLowerCase(), body.toLowerCase()]);
  const messages: string[] = [];
  for (const message of sources.messages) {
    const text = clean(message);
    const subject = text.split("\n", 1)[0]!.trim();
    if (!text || /^Merge (?:branch|remote-tracking branch|pull request)\b/.test(subject) || seen.has(text.toLowerCase()) || seen.has(subject.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    messages.push(text.replace(/\n(?=.)/g, "\n  "));
  }
  if (messages.length > 0) parts.push(`Commits:\n${messages.map((m) => `- ${m}`).join("\n")}`);
  for (const number of sources.closing) {
    const issue = sources.issues.find((i) => i.number === number);
    parts.push(issue ? `Issue #${number}: ${issue.title.trim()}\n\n${clean(issue.body)}`.trim() : `Resolves issue #${number}.`);
  }
  const referenced = sources.referenced.filter((issue) => !sources.closing.includes(issue.number));
  if (referenced.length > 0) parts.push(`Related issues:\n${referenced.map((i) => `- #${i.number}: ${i.title.trim()}`).join("\n")}`);
  return parts.filter(Boolean).join("\n\n");
}

/** A statement needs at least this many words… */
export const MIN_STATEMENT_WORDS = 3;
/** …and this many characters to say what to do. */
export const MIN_STATEMENT_CHARS = 12;

/** Why a statement cannot be a task's problem statement, or undefined when it can. */
export function unusableStatement(text: string): string | undefined {
  const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? [];
  if (text.trim().length === 0) return "its problem statement is empty";
  if (words.length < MIN_STATEMENT_WORDS || text.trim().length < MIN_STATEMENT_CHARS) {
    return `its problem statement is too thin to be a task (${JSON.stringify(text.trim().slice(0, 60))}; at least ${MIN_STATEMENT_WORDS} words and ${MIN_STATEMENT_CHARS} characters)`;
  }
  return undefined;
}
