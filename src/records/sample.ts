import { z } from "zod";
import { Domain } from "./trajectory.js";

export const SAMPLE_SCHEMA_VERSION = "1.0.0";

/**
 * `evidence` must go in (or the sample is dropped); `context` (debugging context of SWE runs) goes in
 * when it fits, before distractors; `distractor` fills towards the target length.
 */
export const PieceRole = z.enum(["evidence", "context", "distractor"]);
export type PieceRole = z.infer<typeof PieceRole>;

export const PieceKind = z.enum(["page", "search-result", "file", "table", "query-result", "command-output", "tool-result"]);
export type PieceKind = z.infer<typeof PieceKind>;

export const PieceOrigin = z
  .object({
    trajectory_id: z.string(),
    message_index: z.number().int().nonnegative().optional(),
    call_id: z.string().optional(),
  })
  .strict();

export const EvidencePiece = z
  .object({
    id: z.string(),
    kind: PieceKind,
    /** Where the text came from: a URL, a file path, a table name, a tool name. */
    source: z.string(),
    text: z.string(),
    role: PieceRole,
    /** Every place the same text was found (identical pieces are kept once). */
    origins: z.array(PieceOrigin).min(1),
  })
  .strict();
export type EvidencePiece = z.infer<typeof EvidencePiece>;

const TrainerMessage = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.string() }).strict(),
  z.object({ role: z.literal("user"), content: z.string() }).strict(),
  z.object({ role: z.literal("assistant"), content: z.string(), reasoning: z.string().nullable() }).strict(),
]);

export const Sample = z
  .object({
    schema: z.literal("acc.sample"),
    schema_version: z.literal(SAMPLE_SCHEMA_VERSION),
    id: z.string(),
    /** Ready for a trainer: [system?], user (documents + question), assistant (answer, reasoning). */
    messages: z.array(TrainerMessage),
    target: z
      .object({
        answer: z.string(),
        reasoning: z.string().nullable(),
        /** `ground_truth`, `agent_final` (the trajectory's own answer) or `teacher`. */
        answer_origin: z.enum(["ground_truth", "agent_final", "teacher"]),
        reasoning_origin: z.enum(["agent_final", "teacher", "none"]),
      })
      .strict(),
    meta: z
      .object({
        trajectory_id: z.string(),
        domain: Domain,
        seed: z.number().int(),
        tokenizer: z.string(),
        /** The drawn target length: the prompt (chat template included) is at most this many tokens. */
        target_tokens: z.number().int().positive(),
        prompt_tokens: z.number().int().positive(),
        evidence_count: z.number().int().nonnegative(),
        context_count: z.number().int().nonnegative(),
        distractor_count: z.number().int().nonnegative(),
        /** Distractors taken from other trajectories of the same domain. */
        pool_distractor_count: z.number().int().nonnegative(),
        question_position: z.enum(["before", "after", "both"]),
        /** Pieces cut to fit (--split-oversize): id and how many lines were left out. */
        split_pieces: z.array(z.object({ id: z.string(), dropped_lines: z.number().int().positive() }).strict()),
        /** prompt_tokens / target_tokens, to 4 decimals. */
        fill: z.number().min(0).max(1).optional(),
        /**
         * Present when the prompt fills less than half its target: why filling stopped (distractors off,
         * every candidate placed or tried, or none of the next 64 fitting the room left).
         */
        under_filled: z.enum(["distractors-off", "out-of-candidates", "nothing-fits"]).optional(),
        /** Pieces cut out (and the sample packed again) because they held the answer or the gold patch. */
        answer_leaks_cut: z.number().int().nonnegative().optional(),
        /** Token span [start, end) of every piece in the rendered prompt, in prompt order. */
        pieces: z.array(
          z
            .object({
              id: z.string(),
              role: PieceRole,
              kind: PieceKind,
              source: z.string(),
              origins: z.array(PieceOrigin),
              token_start: z.number().int().nonnegative(),
              token_end: z.number().int().positive(),
            })
            .strict(),
        ),
        /** What verifiers need: the task's repo/commit or database, and the gold answer when known. */
        task: z
          .object({
            question: z.string(),
            ground_truth: z.string().nullable(),
            instance_id: z.string().optional(),
            repo: z.object({ name: z.string().optional(), url: z.string().optional(), base_commit: z.string().optional() }).strict().optional(),
            database: z.object({ engine: z.string().optional(), db_id: z.string().optional(), path: z.string().optional() }).strict().optional(),
            gold_patch: z.string().optional(),
            gold_sql: z.string().optional(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();
export type Sample = z.infer<typeof Sample>;
