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
  const needles = [...new Set(addedLines.map((line) => line.trim()).filter((line) => line.length >= MIN_LEAK_LINE_CHARS && /[\p{L}\p{N}]/u.test(line)))];
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
  return { text: kept.join("\n").replace(/\n{3,}/g, "\n\n").trim(), redacted: lines.length - kept.length };
}

export interface IssueText {
  number: number;
  title: string;
  body: string;
}

/**
 * The task text of a stage, built from what a developer had before writing the PR: the PR title and
 * description and the issues it closes (titles and bodies when the GitHub export has them). HTML comments
 * are removed; leaks of the patch are redacted by the caller.
 */
export function stageInstruction(title: string, body: string, issues: readonly IssueText[], closing: readonly number[]): string {
  const parts = [title.trim(), stripHtmlComments(body).trim()];
  for (const number of closing) {
    const issue = issues.find((i) => i.number === number);
    parts.push(issue ? `Issue #${number}: ${issue.title.trim()}\n\n${stripHtmlComments(issue.body).trim()}` : `Resolves issue #${number}.`);
  }
  return parts.filter(Boolean).join("\n\n");
}
