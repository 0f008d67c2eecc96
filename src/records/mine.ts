import { z } from "zod";
import { LINK_KINDS, RECOVERY_METHODS, STAGE_LABELS } from "./mine-enums.js";

export { MINE_SCHEMA_VERSION } from "./mine-enums.js";

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "a full commit sha");
const Timestamp = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "an ISO 8601 UTC time like 2024-01-31T12:00:00Z");
const Count = z.number().int().nonnegative();
const Number_ = z.number().int().positive();

/** How a PR was recovered from history (see docs/commands/mine.md). */
export const RecoveryMethod = z.enum(RECOVERY_METHODS);
export type RecoveryMethod = z.infer<typeof RecoveryMethod>;

export const FileStat = z
  .object({
    path: z.string().min(1),
    /** Lines added and deleted; null for binary files. */
    added: Count.nullable(),
    deleted: Count.nullable(),
  })
  .strict();
export type FileStat = z.infer<typeof FileStat>;

export const PullRequest = z
  .object({
    number: Number_,
    repo: z.string().min(1),
    method: RecoveryMethod,
    title: z.string(),
    body: z.string(),
    author: z
      .object({ name: z.string(), email: z.string(), login: z.string().optional(), type: z.string().optional() })
      .strict(),
    /** First parent of the PR's first mainline commit: the state the PR was applied to. */
    base_commit: Sha,
    /** The mainline commit that completed the PR (the merge, the squash, or the last rebased commit). */
    merge_commit: Sha,
    /** The PR branch tip (second parent of a merge; the merge commit itself otherwise). */
    head_commit: Sha,
    mainline_commits: z.array(Sha).min(1),
    commits: z.array(Sha),
    /** 0-based position of merge_commit on the first-parent history; orders PRs by merge. */
    merge_order: Count,
    created_at: Timestamp,
    merged_at: Timestamp,
    /** First-parent numstat summed over the mainline commits, sorted by path. */
    files: z.array(FileStat),
    labels: z.array(z.string()),
    /** Issues closed, from closing keywords in its texts and from the GitHub export. */
    closing_issues: z.array(Number_),
    /** Why blame looks through this PR's commits: listed in .git-blame-ignore-revs, or detected as a mass reformat. */
    blame_ignored: z.enum(["listed", "detected"]).nullable(),
    metadata: z.enum(["git", "git+export"]),
  })
  .strict();
export type PullRequest = z.infer<typeof PullRequest>;

export const NodeRef = z.object({ type: z.enum(["pr", "issue"]), number: Number_ }).strict();
export type NodeRef = z.infer<typeof NodeRef>;

export const LinkKind = z.enum(LINK_KINDS);
export type LinkKind = z.infer<typeof LinkKind>;

export const Evidence = z
  .object({
    /**
     * Where it was found: a PR text, a commit message, the merged branch's name, the GitHub export, blame
     * (lines written by the earlier PR), whitespace blame (lines it re-indented), the diff itself (a revert by
     * content), or shared authorship and modules.
     */
    source: z.enum(["title", "body", "commit-message", "branch", "github-export", "blame", "blame-whitespace", "diff", "history"]),
    /** The matched text, or a short description of the measurement. */
    text: z.string(),
    /** The PR whose text or commit carries the evidence. */
    pr: Number_.optional(),
    commit: Sha.optional(),
    path: z.string().optional(),
    /** Blamed line numbers in `path` at the parent of `commit` (at most 20 listed). */
    lines: z.array(Number_).optional(),
  })
  .strict();
export type Evidence = z.infer<typeof Evidence>;

export const Link = z
  .object({
    id: z.string().min(1),
    kind: LinkKind,
    /** The earlier node (an issue, or the PR merged first). */
    from: NodeRef,
    /** The later PR. */
    to: NodeRef.refine((ref) => ref.type === "pr", "a PR"),
    score: z.number().min(0).max(1),
    /** The factors of score = weight × strength × (0.75 + 0.25 × module_overlap) × time_decay. */
    signals: z
      .object({
        weight: z.number().min(0).max(1),
        strength: z.number().min(0).max(1),
        module_overlap: z.number().min(0).max(1).nullable(),
        days_apart: z.number().min(0).nullable(),
        time_decay: z.number().min(0).max(1),
      })
      .strict(),
    evidence: z.array(Evidence).min(1),
  })
  .strict();
export type Link = z.infer<typeof Link>;

export const StageLabel = z.enum(STAGE_LABELS);
export type StageLabel = z.infer<typeof StageLabel>;

export const ChainStage = z
  .object({
    /** 1-based position in the chain. */
    index: Number_,
    pr: Number_,
    instance_id: z.string().min(1),
    label: StageLabel,
    title: z.string(),
    base_commit: Sha,
    merge_commit: Sha,
    merged_at: Timestamp,
    /** The link from the previous stage (null for the first stage). */
    link: z.object({ id: z.string(), kind: LinkKind, score: z.number() }).strict().nullable(),
  })
  .strict();
export type ChainStage = z.infer<typeof ChainStage>;

export const Chain = z
  .object({
    id: z.string().min(1),
    repo: z.string().min(1),
    length: z.number().int().min(2).max(8),
    /** One functional objective for the whole chain: the root issue's text, or the first PR's. */
    objective: z.object({ source: NodeRef, text: z.string() }).strict(),
    base_commit: Sha,
    final_commit: Sha,
    stages: z.array(ChainStage).min(2).max(8),
  })
  .strict();
export type Chain = z.infer<typeof Chain>;

const JsonStringList = z.string().refine((text) => {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === "string");
  } catch {
    return false;
  }
}, "a JSON-encoded list of strings");

export const RunSummary = z
  .object({
    exit_code: z.number().int().nullable(),
    timed_out: z.boolean(),
    passed: z.array(z.string()),
    failed: z.array(z.string()),
  })
  .strict();

/** A SWE-bench-compatible task for one stage, plus its chain bookkeeping. */
export const StageInstance = z
  .object({
    instance_id: z.string().min(1),
    repo: z.string().min(1),
    base_commit: Sha,
    patch: z.string(),
    test_patch: z.string(),
    problem_statement: z.string(),
    hints_text: z.string(),
    created_at: Timestamp,
    /** SWE-bench's version: major.minor declared in the repository's version file at the base (else of the latest version tag). */
    version: z.string().optional(),
    /** SWE-bench's environment_setup_commit: the base of the latest stage with the same version (its own base without one). */
    environment_setup_commit: Sha,
    FAIL_TO_PASS: JsonStringList,
    PASS_TO_PASS: JsonStringList,
    pull_number: Number_,
    merge_commit: Sha,
    stage_label: StageLabel,
    chain_ids: z.array(z.string()).min(1),
    /** Where problem_statement comes from: the PR's own texts, or a model that rewrote them (--endpoint). */
    statement_source: z.enum(["text", "llm"]),
    /** Instruction lines dropped because they repeat a line the gold patch adds. */
    instruction_redacted_lines: Count,
    /** Paths whose diff is written as a git binary patch because its text is not UTF-8 or holds NUL bytes. */
    binary_encoded: z.array(z.string()),
    /** Present when tests were run (`--test-cmd`): before = base + test_patch, after = + patch. */
    validation: z
      .object({
        command: z.string(),
        network_isolated: z.boolean(),
        timeout_seconds: z.number().positive(),
        before: RunSummary,
        after: RunSummary,
      })
      .strict()
      .optional(),
  })
  .strict();
export type StageInstance = z.infer<typeof StageInstance>;

/** Something that could not become part of the output, and why (`rejects.jsonl`). */
export const MineReject = z
  .object({
    /** A stage (a PR that chains need), or a mainline commit whose diff could not be read. */
    kind: z.enum(["stage", "commit"]),
    pr: Number_.optional(),
    commit: Sha,
    reason: z.string().min(1),
  })
  .strict();
export type MineReject = z.infer<typeof MineReject>;
