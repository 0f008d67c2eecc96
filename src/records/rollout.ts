import { z } from "zod";

/** Version of the rollout records (task, step, episode); bump on any incompatible change. */
export const ROLLOUT_SCHEMA_VERSION = "1.0.0";

const Extra = z.record(z.string(), z.unknown());
const Ids = z.array(z.number().int().nonnegative());

/** One rollout input: a question for an agent in an environment, and what its answer is checked against. */
export const RolloutTask = z
  .object({
    id: z.string().min(1),
    question: z.string().min(1),
    /** Replaces the environment's default system prompt. */
    system_prompt: z.string().optional(),
    /** The gold answer (search; sql when there is no gold query). */
    answer: z.string().optional(),
    /** sql: the gold query; the reward compares execution results. */
    gold_sql: z.string().optional(),
    /** sql: a database file for this task instead of the environment's. */
    db: z.string().optional(),
    /** repo: the commit (or any revision git resolves) the worktree starts from. */
    base_commit: z.string().optional(),
    /** repo: run by `sh -c` in the worktree after submit; exit code 0 is reward 1. */
    test_command: z.string().optional(),
    /** repo: paths restored to the base commit before the tests run, so edits to the tests do not count. */
    test_files: z.array(z.string()).optional(),
    /** repo: a patch applied after test_files are restored and before test_command runs (SWE-bench's test_patch: the tests that check the fix). */
    test_patch: z.string().optional(),
    meta: Extra.optional(),
  })
  .strict();
export type RolloutTask = z.infer<typeof RolloutTask>;

export const StepKind = z.enum(["action", "summary", "external-summary"]);
export type StepKind = z.infer<typeof StepKind>;

/** Why an episode stopped. `final`/`submit`: finished; the caps and `window`: overlong; `error`: no usable episode. */
export const StopReason = z.enum(["final", "submit", "step-cap", "summary-cap", "window", "error"]);
export type StopReason = z.infer<typeof StopReason>;

export const OverlongReason = z.enum(["step-cap", "summary-cap", "window"]);
export type OverlongReason = z.infer<typeof OverlongReason>;

/**
 * Invariants checked at every step. `prefix`: the prompt does not extend the previous kept step's prompt and
 * completion (a new training row starts here); `prediction`: the server's prompt (ids, or its count) differs
 * from the prediction the window check used; `window`: the server's prompt count plus max tokens passed the
 * window.
 */
export const Violation = z.enum(["prefix", "prediction", "window"]);
export type Violation = z.infer<typeof Violation>;

/** One LLM call of a rollout. */
export const RolloutStep = z
  .object({
    schema: z.literal("acc.rollout-step"),
    schema_version: z.literal(ROLLOUT_SCHEMA_VERSION),
    episode_id: z.string(),
    group_id: z.string(),
    /** 0-based over every LLM call of the episode, summaries included. */
    step_index: z.number().int().nonnegative(),
    segment_index: z.number().int().nonnegative(),
    kind: StepKind,
    /** Whether the completion is trained (in a row): false for external summaries and dropped actions. */
    trained: z.boolean(),
    /** SUPO: the action (and its observation) discarded before the summary; the environment still ran it. */
    dropped: z.boolean(),
    max_tokens: z.number().int().positive(),
    /** The prompt length the window check used, counted before sending. */
    predicted_prompt_tokens: z.number().int().nonnegative(),
    /** The server's count (token ids, else usage), or the prediction when the server reported none. */
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    /** `server`: ids returned by the server; `tokenizer`: ids from the local tokenizer and chat template. */
    token_source: z.enum(["server", "tokenizer"]),
    /**
     * True when the prompt extends the previous kept step of the segment: `prompt_ids` then holds only the
     * ids after that step's prompt and completion (observations, template markers). False: the whole prompt.
     */
    prompt_delta: z.boolean(),
    prompt_ids: Ids,
    completion_ids: Ids,
    /** One per completion id, when the server returned them. */
    logprobs: z.array(z.number()).nullable(),
    finish_reason: z.string().nullable(),
    content: z.string().nullable(),
    reasoning: z.string().nullable(),
    tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }).strict()),
    violations: z.array(Violation),
  })
  .strict();
export type RolloutStep = z.infer<typeof RolloutStep>;

/** A stretch of an episode with one context: it starts from the task, or from the task and a summary. */
export const RolloutSegment = z
  .object({
    index: z.number().int().nonnegative(),
    start: z.enum(["task", "summary"]),
    end: z.enum(["summary", "final", "submit", "step-cap", "summary-cap", "window", "error"]),
    first_step: z.number().int().nonnegative(),
    /** Steps (LLM calls) recorded for this segment, the closing summary included. */
    steps: z.number().int().nonnegative(),
    /** Tokens of the segment's first prompt. */
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    /** Completion tokens of the summary that closed this segment (0 when none). */
    summary_tokens: z.number().int().nonnegative(),
    /** The summary that closed this segment, as the next segment received it. */
    summary: z.string().nullable(),
  })
  .strict();
export type RolloutSegment = z.infer<typeof RolloutSegment>;

export const EpisodeCounts = z
  .object({
    steps: z.number().int().nonnegative(),
    action_steps: z.number().int().nonnegative(),
    summaries: z.number().int().nonnegative(),
    segments: z.number().int().nonnegative(),
    tool_calls: z.number().int().nonnegative(),
    tool_errors: z.number().int().nonnegative(),
    /** Replies with neither a usable tool call nor a final answer. */
    format_errors: z.number().int().nonnegative(),
    /** Steps that stopped at max tokens (`finish_reason: "length"`). */
    truncated_steps: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    /** Completion tokens of summary calls (policy or external). */
    summary_tokens: z.number().int().nonnegative(),
    /** Completion tokens that go into training rows. */
    trained_tokens: z.number().int().nonnegative(),
    prefix_breaks: z.number().int().nonnegative(),
    prediction_misses: z.number().int().nonnegative(),
  })
  .strict();
export type EpisodeCounts = z.infer<typeof EpisodeCounts>;

/** One rollout of a task: its outcome, reward, group advantage and what it cost. */
export const Episode = z
  .object({
    schema: z.literal("acc.episode"),
    schema_version: z.literal(ROLLOUT_SCHEMA_VERSION),
    id: z.string(),
    /** The GRPO group: every episode of one task. */
    group_id: z.string(),
    task_id: z.string(),
    sample_index: z.number().int().nonnegative(),
    env: z.enum(["sql", "search", "repo"]),
    context: z.enum(["supo", "external", "mask-observations", "none"]),
    model: z.string(),
    /** The sampling seed sent with every request of the episode. */
    seed: z.number().int(),
    finished: z.boolean(),
    stop_reason: StopReason,
    overlong: z.boolean(),
    overlong_reason: OverlongReason.nullable(),
    error: z.string().nullable(),
    final_answer: z.string().nullable(),
    reward: z.number(),
    success: z.boolean(),
    verdict: z.object({ reason: z.string(), detail: z.string() }).strict(),
    advantage: z.number(),
    /** Counted in the group's mean and std: every episode but errors. */
    in_baseline: z.boolean(),
    /** Trained: finished episodes only (overlong ones are masked out of the loss). */
    in_loss: z.boolean(),
    counts: EpisodeCounts,
    segments: z.array(RolloutSegment),
  })
  .strict();
export type Episode = z.infer<typeof Episode>;

/** A verl-style multi-turn RL row: one per segment, or more when a prompt stopped extending the previous one. */
export const RolloutRow = z
  .object({
    row_id: z.string(),
    /** The GRPO group (verl's `uid`). */
    uid: z.string(),
    episode_id: z.string(),
    segment_index: z.number().int().nonnegative(),
    row_index: z.number().int().nonnegative(),
    rows_in_episode: z.number().int().positive(),
    is_final_row: z.boolean(),
    prompt_ids: Ids,
    response_ids: Ids,
    /** 1 on sampled tokens, 0 on observations and template markers; all 0 for episodes out of the loss. */
    response_mask: z.array(z.union([z.literal(0), z.literal(1)])),
    /** Sampling logprobs, 0 on masked positions; null when the server returned none. */
    response_logprobs: z.array(z.number()).nullable(),
    reward: z.number(),
    advantage: z.number(),
    in_loss: z.boolean(),
    overlong: z.boolean(),
    finished: z.boolean(),
    num_turns: z.number().int().positive(),
    token_source: z.enum(["server", "tokenizer"]),
  })
  .strict();
export type RolloutRow = z.infer<typeof RolloutRow>;
