import { createHash } from "node:crypto";
import type { EvidencePiece, Sample } from "../records/sample.js";
import { SAMPLE_SCHEMA_VERSION } from "../records/sample.js";
import type { Domain, Trajectory } from "../records/trajectory.js";
import { Random } from "../random.js";
import type { LengthDistribution } from "./lengths.js";
import { type CountCache, packSample, type PromptTokenizer } from "./pack.js";
import type { QuestionPosition } from "./render.js";
import { trajectoryTarget } from "./targets.js";

export interface SampleOptions {
  seed: number;
  lengths: Record<Domain, LengthDistribution>;
  question: QuestionPosition;
  distractors: boolean;
  splitOversize: boolean;
  keepFailed: boolean;
}

export type DropReason = "failed-outcome" | "no-question" | "no-answer" | "no-evidence" | "evidence-over-budget";

export type SampleResult = { ok: true; sample: Sample } | { ok: false; reason: DropReason };

/** One trajectory and its pieces → one trainer-ready sample, or why it was dropped. */
export function buildSample(
  trajectory: Trajectory,
  pieces: EvidencePiece[],
  pool: readonly EvidencePiece[],
  tokenizer: PromptTokenizer,
  options: SampleOptions,
  cache?: CountCache,
): SampleResult {
  if (trajectory.outcome.success === false && !options.keepFailed) return { ok: false, reason: "failed-outcome" };
  const question = trajectory.task.question?.trim();
  if (!question) return { ok: false, reason: "no-question" };
  const target = trajectoryTarget(trajectory);
  if (target === undefined) return { ok: false, reason: "no-answer" };

  const stream = (name: string) => new Random(options.seed, `${name}:${trajectory.id}`);
  const packed = packSample(pieces, pool, tokenizer, {
    question,
    position: options.question,
    distribution: options.lengths[trajectory.domain],
    distractors: options.distractors,
    splitOversize: options.splitOversize,
    random: { length: stream("length"), choice: stream("choice"), order: stream("order") },
  }, cache);
  if (!packed.ok) return packed;

  const count = (role: string, pool?: boolean) =>
    packed.placed.filter((p) => p.piece.role === role && (pool === undefined || p.pool === pool)).length;
  const task = trajectory.task;
  const sample: Sample = {
    schema: "acc.sample",
    schema_version: SAMPLE_SCHEMA_VERSION,
    id: `sample-${createHash("sha256").update(`${trajectory.id}\u0000${options.seed}`).digest("hex").slice(0, 16)}`,
    messages: [
      { role: "user", content: packed.userContent },
      { role: "assistant", content: target.answer, reasoning: target.reasoning },
    ],
    target,
    meta: {
      trajectory_id: trajectory.id,
      domain: trajectory.domain,
      seed: options.seed,
      tokenizer: tokenizer.name,
      target_tokens: packed.targetTokens,
      prompt_tokens: packed.promptTokens,
      evidence_count: count("evidence"),
      context_count: count("context"),
      distractor_count: count("distractor"),
      pool_distractor_count: count("distractor", true),
      question_position: options.question,
      split_pieces: packed.split,
      pieces: packed.placed.map(({ piece, token_start, token_end }) => ({
        id: piece.id,
        role: piece.role,
        kind: piece.kind,
        source: piece.source,
        origins: piece.origins,
        token_start,
        token_end,
      })),
      task: {
        question,
        ground_truth: task.ground_truth,
        ...(task.instance_id !== undefined ? { instance_id: task.instance_id } : {}),
        ...(task.repo !== undefined ? { repo: task.repo } : {}),
        ...(task.database !== undefined ? { database: task.database } : {}),
        ...(trajectory.outcome.submitted_patch ? { gold_patch: trajectory.outcome.submitted_patch } : {}),
        ...(trajectory.outcome.submitted_sql ? { gold_sql: trajectory.outcome.submitted_sql } : {}),
      },
    },
  };
  return { ok: true, sample };
}
