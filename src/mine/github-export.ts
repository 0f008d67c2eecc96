import { readFile } from "node:fs/promises";
import { z } from "zod";
import { formatProblems, validate } from "../records/validate.js";
import { UsageError } from "../errors/acc-error.js";

const Number_ = z.number().int().positive();
const Text = z.string().nullable().optional();
const DateText = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "a date");

const ExportPull = z.object({
  number: Number_,
  title: z.string().optional(),
  body: Text,
  /** REST gives label objects, other exports plain names. */
  labels: z.array(z.union([z.string(), z.object({ name: z.string() })])).optional(),
  user: z.object({ login: z.string(), type: z.string().optional() }).optional(),
  created_at: DateText.optional(),
  /** GraphQL closingIssuesReferences, including links set in the sidebar without a keyword. */
  closing_issues: z.array(Number_).optional(),
  /** Issues and PRs that this PR references or is referenced from (timeline CrossReferencedEvent). */
  cross_references: z.array(Number_).optional(),
});

const ExportIssue = z.object({
  number: Number_,
  title: z.string(),
  body: Text,
  comments: z.array(z.object({ body: Text, created_at: DateText })).optional(),
});

export const GitHubExport = z.object({
  pulls: z.array(ExportPull).default([]),
  issues: z.array(ExportIssue).default([]),
});
export type GitHubExport = z.infer<typeof GitHubExport>;
export type ExportPull = z.infer<typeof ExportPull>;
export type ExportIssue = z.infer<typeof ExportIssue>;

export class ExportError extends UsageError {
  override name = "ExportError";
}

/** Reads and checks a GitHub metadata export; errors name the file and the JSON path of the problem. */
export async function readGitHubExport(path: string): Promise<GitHubExport> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ExportError(`cannot read GitHub export ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExportError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
  const checked = validate(GitHubExport, value);
  if (!checked.ok) throw new ExportError(`${path}: not a GitHub export (see docs/commands/mine.md): ${formatProblems(checked.problems)}`);
  for (const key of ["pulls", "issues"] as const) {
    const seen = new Set<number>();
    checked.value[key].forEach((item, index) => {
      if (seen.has(item.number)) throw new ExportError(`${path}: ${key}[${index}]: number ${item.number} appears twice`);
      seen.add(item.number);
    });
  }
  return checked.value;
}
