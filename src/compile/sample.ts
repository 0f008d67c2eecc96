import { createHash } from "node:crypto";
import type { EvidencePiece, Sample } from "../records/sample.js";
import { SAMPLE_SCHEMA_VERSION } from "../records/sample.js";
import type { Domain, Trajectory } from "../records/trajectory.js";
import { Random } from "../random.js";
import { goldPatch } from "./evidence/swe.js";
import type { LengthDistribution } from "./lengths.js";
import { type LeakKind, leakIn, leakProbes } from "./leaks.js";
import { type CountCache, type FillStop, packSample, type PromptTokenizer } from "./pack.js";
import type { QuestionPosition } from "./render.js";
import { trajectoryTarget } from "./targets.js";

export interface SampleOptions {
  seed: number;
  lengths: Record<Domain, LengthDistribution>;
  question: QuestionPosition;
  distractors: boolean;
  splitOversize: boolean;
  keepFailed: boolean;
  /** Drop samples whose prompt fills less than this share of their target length (0: keep all). */
  minFill?: number;
}

/** A sample whose prompt fills less than this share of its target length is marked `under_filled`. */
export const UNDER_FILLED_BELOW = 0.5;

export type DropReason = "failed-outcome" | "no-question" | "no-answer" | "no-evidence" | "evidence-over-budget" | "answer-in-evidence" | "under-filled";

/** What became of the pieces that would have given the answer away, and of same-task distractors. */
export interface SampleGuards {
  /** Pieces cut out because they held the answer, by what they held. */
  cut: Partial<Record<LeakKind, number>>;
  /** Pool pieces withheld because they come from the same task. */
  sameTaskWithheld: number;
}

export type SampleResult = { ok: true; sample: Sample; guards: SampleGuards } | { ok: false; reason: DropReason; guards: SampleGuards };

/** What a sample is built from besides its trajectory. */
export interface SampleInputs {
  pieces: EvidencePiece[];
  /** Pieces of other trajectories of the domain, for distractors. */
  pool: readonly EvidencePiece[];
  /** True for a pool piece of the same task as the trajectory (never a distractor). */
  sameTask?: (piece: EvidencePiece) => boolean;
  /** The patched files before the fix, when read from the repository (so lines they already had are not leaks). */
  before?: readonly string[];
}

/**
 * One trajectory and its pieces → one trainer-ready sample, or why it was dropped. After packing, no
 * piece may give the answer away (see leaks.ts): such a piece is cut out and the sample packed again
 * to its target length; when it is evidence the sample is dropped (`answer-in-evidence`).
 */
export function buildSample(trajectory: Trajectory, inputs: SampleInputs, tokenizer: PromptTokenizer, options: SampleOptions, cache?: CountCache): SampleResult {
  const guards: SampleGuards = { cut: {}, sameTaskWithheld: 0 };
  const dropped = (reason: DropReason): SampleResult => ({ ok: false, reason, guards });
  if (trajectory.outcome.success === false && !options.keepFailed) return dropped("failed-outcome");
  const question = trajectory.task.question?.trim();
  if (!question) return dropped("no-question");
  const target = trajectoryTarget(trajectory);
  if (target === undefined) return dropped("no-answer");

  const probes = leakProbes(target.answer, trajectory.domain === "swe" ? goldPatch(trajectory) : null, inputs.before);
  const exclude = new Set<string>();
  const stream = (name: string) => new Random(options.seed, `${name}:${trajectory.id}`);
  const pack = () =>
    packSample(inputs.pieces, inputs.pool, tokenizer, {
      question,
      position: options.question,
      distribution: options.lengths[trajectory.domain],
      distractors: options.distractors,
      splitOversize: options.splitOversize,
      // Fresh streams for every packing: a repack draws the same target length.
      random: { length: stream("length"), choice: stream("choice"), order: stream("order") },
      exclude,
      ...(inputs.sameTask ? { sameTask: inputs.sameTask } : {}),
    }, cache);
  let packed = pack();
  for (;;) {
    if (!packed.ok) return dropped(packed.reason);
    const leaks = packed.placed.flatMap(({ piece }) => {
      const kind = leakIn(piece, probes);
      return kind === undefined ? [] : [{ piece, kind }];
    });
    if (leaks.length === 0) break;
    if (leaks.some(({ piece }) => piece.role === "evidence")) return dropped("answer-in-evidence");
    for (const { piece, kind } of leaks) {
      exclude.add(piece.id);
      guards.cut[kind] = (guards.cut[kind] ?? 0) + 1;
    }
    packed = pack();
  }
  guards.sameTaskWithheld = packed.sameTaskWithheld;
  const fill = packed.promptTokens / packed.targetTokens;
  if (fill < (options.minFill ?? 0)) return dropped("under-filled");

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
      fill: Math.round(fill * 10_000) / 10_000,
      ...(fill < UNDER_FILLED_BELOW ? { under_filled: underFilledReason(packed.fillStop) } : {}),
      answer_leaks_cut: exclude.size,
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
  return { ok: true, sample, guards };
}

/** Why a prompt stayed short of its target (FillStop "target" cannot leave it under-filled). */
function underFilledReason(stop: FillStop): "distractors-off" | "out-of-candidates" | "nothing-fits" {
  return stop === "target" ? "nothing-fits" : stop;
}
