import type { Chain, PullRequest, StageInstance, StageLabel } from "../records/mine.js";
import type { ChainPath } from "./chains.js";
import type { CommitGraph } from "./graph.js";
import type { ExportIssue, ExportPull } from "./github-export.js";
import { instanceId, type StagePatch } from "./instances.js";
import type { LinkablePr } from "./links.js";
import type { RecoveredPr } from "./prs.js";
import type { Lineage } from "./replay.js";
import { labelStage, type StageFacts } from "./stages.js";

/** Unix seconds as an ISO 8601 UTC time without fractions: 2024-01-31T12:00:00Z. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The PR record: what git recovered, with the export's title, body, labels, login and creation time. */
export function prRecord(
  pr: RecoveredPr,
  repo: string,
  graph: CommitGraph,
  linkable: LinkablePr,
  pull: ExportPull | undefined,
  lineage: Lineage,
  closing: number[],
): PullRequest {
  return {
    number: pr.number,
    repo,
    method: pr.method,
    title: linkable.title,
    body: linkable.body,
    author: { ...pr.author, ...(pull?.user ? { login: pull.user.login, ...(pull.user.type ? { type: pull.user.type } : {}) } : {}) },
    base_commit: pr.baseCommit,
    merge_commit: pr.mergeCommit,
    head_commit: pr.headCommit,
    mainline_commits: pr.mainline.map((i) => graph.mainline[i]!),
    commits: pr.commits,
    merge_order: pr.mainline.at(-1)!,
    created_at: pull?.created_at ? isoSeconds(Date.parse(pull.created_at) / 1000) : isoSeconds(pr.createdAt),
    merged_at: isoSeconds(pr.mergedAt),
    files: lineage.files.get(pr.number) ?? [],
    labels: pull ? labelNames(pull) : [],
    closing_issues: closing,
    blame_ignored: lineage.ignored.get(pr.number) ?? null,
    metadata: pull ? "git+export" : "git",
  };
}

/** What the stage label rules look at. */
export function stageFacts(pr: PullRequest, revertTargets: ReadonlySet<number>): StageFacts {
  return {
    title: pr.title,
    body: pr.body,
    labels: pr.labels,
    files: pr.files.map((f) => f.path),
    reverts: revertTargets.has(pr.number),
    blameIgnored: pr.blame_ignored !== null,
  };
}

/** The chain record of a path: its stages with the links between them, and its objective. */
export function chainRecord(
  path: ChainPath,
  repo: string,
  byNumber: ReadonlyMap<number, PullRequest>,
  issues: ReadonlyMap<number, ExportIssue>,
  revertTargets: ReadonlySet<number>,
): Chain {
  const stages = path.prs.map((number, i) => {
    const pr = byNumber.get(number)!;
    const link = i === 0 ? null : path.links[i - 1]!;
    return {
      index: i + 1,
      pr: number,
      instance_id: instanceId(repo, number),
      label: labelStage(stageFacts(pr, revertTargets)),
      title: pr.title,
      base_commit: pr.base_commit,
      merge_commit: pr.merge_commit,
      merged_at: pr.merged_at,
      link: link ? { id: link.id, kind: link.kind, score: link.score } : null,
    };
  });
  const first = byNumber.get(path.prs[0]!)!;
  const last = byNumber.get(path.prs.at(-1)!)!;
  return {
    id: `${instanceId(repo, first.number)}-chain-${last.number}`,
    repo,
    length: stages.length,
    objective: chainObjective(path.prs.map((n) => byNumber.get(n)!), issues),
    base_commit: first.base_commit,
    final_commit: last.merge_commit,
    stages,
  };
}

/**
 * The chain's one functional objective: the first issue closed by its earliest stage that closes one (its
 * title and body when the export has them), else the first PR's title and description.
 */
function chainObjective(prs: readonly PullRequest[], issues: ReadonlyMap<number, ExportIssue>): Chain["objective"] {
  const root = prs.find((pr) => pr.closing_issues.length > 0);
  if (root) {
    const number = root.closing_issues[0]!;
    const issue = issues.get(number);
    const text = issue ? [issue.title.trim(), (issue.body ?? "").trim()].filter(Boolean).join("\n\n") : `Resolve issue #${number}: ${root.title}`;
    return { source: { type: "issue", number }, text };
  }
  const first = prs[0]!;
  return { source: { type: "pr", number: first.number }, text: [first.title.trim(), first.body.trim()].filter(Boolean).join("\n\n") };
}

/** A stage's problem statement, where it comes from, and how many lines the leak filter removed. */
export interface StageStatement {
  text: string;
  source: "text" | "llm";
  redacted: number;
}

/**
 * The SWE-bench-compatible task of one stage (FAIL_TO_PASS / PASS_TO_PASS stay empty until tests run;
 * environment_setup_commit is set once all stages are known).
 */
export function stageInstance(
  pr: PullRequest,
  patch: StagePatch,
  statement: StageStatement,
  context: { issues: ReadonlyMap<number, ExportIssue>; version: string | undefined; chainIds: string[]; label: StageLabel; firstCommitTime: number },
): StageInstance {
  return {
    instance_id: instanceId(pr.repo, pr.number),
    repo: pr.repo,
    base_commit: pr.base_commit,
    patch: patch.patch,
    test_patch: patch.test_patch,
    problem_statement: statement.text,
    hints_text: hints(pr, context.issues, context.firstCommitTime),
    created_at: pr.created_at,
    ...(context.version ? { version: context.version } : {}),
    environment_setup_commit: pr.base_commit,
    FAIL_TO_PASS: "[]",
    PASS_TO_PASS: "[]",
    pull_number: pr.number,
    merge_commit: pr.merge_commit,
    stage_label: context.label,
    chain_ids: context.chainIds,
    statement_source: statement.source,
    instruction_redacted_lines: statement.redacted,
    binary_encoded: patch.binaryEncoded,
  };
}

/** SWE-bench's hints: comments on the closed issues posted before the PR's first commit, oldest first. */
function hints(pr: PullRequest, issues: ReadonlyMap<number, ExportIssue>, firstCommitTime: number): string {
  const comments = pr.closing_issues.flatMap((n) => issues.get(n)?.comments ?? []);
  return comments
    .filter((c) => Date.parse(c.created_at) / 1000 < firstCommitTime)
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
    .map((c) => (c.body ?? "").trim())
    .filter(Boolean)
    .join("\n\n");
}

function labelNames(pull: ExportPull): string[] {
  return (pull.labels ?? []).map((label) => (typeof label === "string" ? label : label.name)).sort();
}
