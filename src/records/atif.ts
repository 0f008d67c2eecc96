import { z } from "zod";

/**
 * ATIF, Harbor's Agent Trajectory Interchange Format (RFC 0001), as zod schemas derived field by field
 * from Harbor's pydantic models (`src/harbor/models/trajectories/`). Every model forbids unknown keys,
 * as Harbor's do; `docs/schemas/atif.schema.json` is generated from these (`npm run docs:schemas`).
 * The model validators that JSON Schema cannot say (sequential step ids, result → call references,
 * agent-only fields, embedded sub-agent ids) are `atifProblems`.
 *
 * Sources: v1.0–v1.6 from Harbor's models as vendored in refreshdotdev/harbor-trajectories@22dafa68
 * (`vendor/harbor/models/trajectories/`, Harbor 0.1.x); the v1.7 additions (`trajectory_id`,
 * `subagent_trajectories`, `llm_call_count`, `extra` on tool calls and observation results, references
 * by `trajectory_id`) from the ATIF-v1.7 models adapted from Harbor 0.20.0; the v1.8 addition (audio
 * content parts, `AudioSource` with `duration_sec`, and audio MIME aliases) from the ATIF-v1.8 models
 * (`content.py`, `trajectory.py`) as isolated from harbor-framework/harbor under Apache-2.0. See
 * docs/formats/atif.md.
 */

export const ATIF_VERSIONS = ["ATIF-v1.0", "ATIF-v1.1", "ATIF-v1.2", "ATIF-v1.3", "ATIF-v1.4", "ATIF-v1.5", "ATIF-v1.6", "ATIF-v1.7", "ATIF-v1.8"] as const;
export type AtifVersion = (typeof ATIF_VERSIONS)[number];
/**
 * The version acc writes: v1.7, which every reader of v1.7 and v1.8 takes; a document with an audio
 * part (the one thing v1.8 adds) is written as v1.8.
 */
export const ATIF_VERSION: AtifVersion = "ATIF-v1.7";

const Extra = z.record(z.string(), z.unknown());
const int = () => z.number().int();

export const AtifImageSource = z
  .object({ media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]), path: z.string() })
  .strict();

/** Audio MIME types of v1.8: the canonical ones, then the aliases Harbor accepts and normalises to them. */
export const ATIF_AUDIO_MEDIA_TYPES = ["audio/wav", "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/flac", "audio/webm", "audio/aiff"] as const;
export const ATIF_AUDIO_MEDIA_TYPE_ALIASES = ["audio/mp3", "audio/mpga", "audio/x-mpeg", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/x-m4a", "audio/m4a", "audio/x-aac", "audio/x-flac", "audio/x-aiff"] as const;

/** An audio file or URL (v1.8); `duration_sec` is optional and not negative. */
export const AtifAudioSource = z
  .object({ media_type: z.enum([...ATIF_AUDIO_MEDIA_TYPES, ...ATIF_AUDIO_MEDIA_TYPE_ALIASES]), path: z.string(), duration_sec: z.number().min(0).nullable().optional() })
  .strict();

/** A text, image (v1.6) or audio (v1.8) part of a multimodal message or result. */
export const AtifContentPart = z
  .object({ type: z.enum(["text", "image", "audio"]), text: z.string().nullable().optional(), source: z.union([AtifImageSource, AtifAudioSource]).nullable().optional() })
  .strict();
export type AtifContentPart = z.infer<typeof AtifContentPart>;

const Content = z.union([z.string(), z.array(AtifContentPart)]);

export const AtifToolCall = z
  .object({
    tool_call_id: z.string(),
    function_name: z.string(),
    arguments: Extra,
    extra: Extra.nullable().optional(),
  })
  .strict();
export type AtifToolCall = z.infer<typeof AtifToolCall>;

export const AtifSubagentRef = z
  .object({
    trajectory_id: z.string().nullable().optional(),
    session_id: z.string().nullable().optional(),
    trajectory_path: z.string().nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();
export type AtifSubagentRef = z.infer<typeof AtifSubagentRef>;

export const AtifObservationResult = z
  .object({
    source_call_id: z.string().nullable().optional(),
    content: Content.nullable().optional(),
    subagent_trajectory_ref: z.array(AtifSubagentRef).nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();
export type AtifObservationResult = z.infer<typeof AtifObservationResult>;

export const AtifMetrics = z
  .object({
    prompt_tokens: int().nullable().optional(),
    completion_tokens: int().nullable().optional(),
    cached_tokens: int().nullable().optional(),
    cost_usd: z.number().nullable().optional(),
    prompt_token_ids: z.array(int()).nullable().optional(),
    completion_token_ids: z.array(int()).nullable().optional(),
    logprobs: z.array(z.number()).nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();
export type AtifMetrics = z.infer<typeof AtifMetrics>;

export const AtifStep = z
  .object({
    step_id: int().min(1),
    timestamp: z.string().nullable().optional(),
    source: z.enum(["system", "user", "agent"]),
    model_name: z.string().nullable().optional(),
    reasoning_effort: z.union([z.string(), z.number()]).nullable().optional(),
    message: Content,
    reasoning_content: z.string().nullable().optional(),
    tool_calls: z.array(AtifToolCall).nullable().optional(),
    observation: z.object({ results: z.array(AtifObservationResult) }).strict().nullable().optional(),
    metrics: AtifMetrics.nullable().optional(),
    is_copied_context: z.boolean().nullable().optional(),
    llm_call_count: int().min(0).nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();
export type AtifStep = z.infer<typeof AtifStep>;

export const AtifAgent = z
  .object({
    name: z.string(),
    version: z.string(),
    model_name: z.string().nullable().optional(),
    tool_definitions: z.array(Extra).nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();

export const AtifFinalMetrics = z
  .object({
    total_prompt_tokens: int().nullable().optional(),
    total_completion_tokens: int().nullable().optional(),
    total_cached_tokens: int().nullable().optional(),
    total_cost_usd: z.number().nullable().optional(),
    total_steps: int().min(0).nullable().optional(),
    extra: Extra.nullable().optional(),
  })
  .strict();

const trajectoryShape = {
  schema_version: z.enum(ATIF_VERSIONS),
  session_id: z.string().nullable().optional(),
  trajectory_id: z.string().nullable().optional(),
  agent: AtifAgent,
  steps: z.array(AtifStep).min(1),
  notes: z.string().nullable().optional(),
  final_metrics: AtifFinalMetrics.nullable().optional(),
  continued_trajectory_ref: z.string().nullable().optional(),
  extra: Extra.nullable().optional(),
};

export interface AtifTrajectory extends z.infer<z.ZodObject<typeof trajectoryShape>> {
  subagent_trajectories?: AtifTrajectory[] | null;
}

export const AtifTrajectory: z.ZodType<AtifTrajectory> = z
  .object({
    ...trajectoryShape,
    get subagent_trajectories() {
      return z.array(AtifTrajectory).nullable().optional();
    },
  })
  .strict()
  .meta({
    title: "ATIF trajectory",
    description:
      "Harbor's Agent Trajectory Interchange Format (ATIF-v1.0 to v1.8), derived from Harbor's pydantic models (refreshdotdev/harbor-trajectories@22dafa68f53b0e20b8818510116d18a3a58fcd73 vendor/harbor/models/trajectories for v1.0-v1.6; Harbor 0.20.0's v1.7 models for trajectory_id, subagent_trajectories, llm_call_count and the extra of tool calls and results; the v1.8 models for audio content parts). Cross-field rules are checked in code (acc's atifProblems).",
  });

const AGENT_ONLY = ["model_name", "reasoning_effort", "reasoning_content", "tool_calls", "metrics"] as const;

/**
 * The rules of Harbor's model validators that a JSON Schema cannot express: step ids 1, 2, 3…; a
 * result's `source_call_id` names a call of its own step; agent-only fields only on agent steps;
 * content parts carry text xor an image; an embedded sub-agent has a unique `trajectory_id`; a
 * sub-agent reference names a `trajectory_id` or a `trajectory_path` (v1.7, a `session_id` before);
 * and, in a v1.8 document, a reference without a `trajectory_path` names the `trajectory_id` of one of
 * the document's own embedded sub-agents (the v1.8 `Trajectory` validator). Harbor's v1.8 models
 * apply that last rule whatever version a document declares: `everyVersion` checks it so (what acc
 * writes must pass the reader Harbor runs today).
 */
export function atifProblems(doc: AtifTrajectory, at = "", everyVersion = false): string[] {
  const problems: string[] = [];
  const embedded = new Set((doc.subagent_trajectories ?? []).flatMap((sub) => (sub.trajectory_id == null ? [] : [sub.trajectory_id])));
  const resolvedHere = everyVersion || doc.schema_version === "ATIF-v1.8";
  doc.steps.forEach((step, index) => {
    const where = `${at}/steps/${index}`;
    if (step.step_id !== index + 1) problems.push(`${where}/step_id: expected ${index + 1} (sequential from 1), got ${step.step_id}`);
    if (step.source !== "agent") {
      for (const field of AGENT_ONLY) if (step[field] !== undefined && step[field] !== null) problems.push(`${where}/${field}: only agent steps have it (source is ${step.source})`);
    }
    const ids = new Set<string>();
    for (const call of step.tool_calls ?? []) {
      if (ids.has(call.tool_call_id)) problems.push(`${where}/tool_calls: tool_call_id "${call.tool_call_id}" appears twice in step ${step.step_id}`);
      ids.add(call.tool_call_id);
    }
    (step.observation?.results ?? []).forEach((result, r) => {
      if (result.source_call_id != null && !ids.has(result.source_call_id)) {
        problems.push(`${where}/observation/results/${r}/source_call_id: "${result.source_call_id}" is not a tool_call_id of step ${step.step_id}`);
      }
      (result.subagent_trajectory_ref ?? []).forEach((ref, k) => {
        if (ref.trajectory_id == null && ref.trajectory_path == null && ref.session_id == null) {
          problems.push(`${where}/observation/results/${r}/subagent_trajectory_ref/${k}: names no trajectory_id, trajectory_path or session_id`);
        } else if (resolvedHere && !ref.trajectory_path && !(ref.trajectory_id != null && embedded.has(ref.trajectory_id))) {
          problems.push(`${where}/observation/results/${r}/subagent_trajectory_ref/${k}: has no trajectory_path, and its trajectory_id ${JSON.stringify(ref.trajectory_id ?? null)} is not one of subagent_trajectories (Harbor's v1.8 validator resolves it nowhere)`);
        }
      });
      if (Array.isArray(result.content)) problems.push(...partProblems(result.content, `${where}/observation/results/${r}/content`));
    });
    if (Array.isArray(step.message)) problems.push(...partProblems(step.message, `${where}/message`));
  });
  const seen = new Set<string>();
  (doc.subagent_trajectories ?? []).forEach((sub, index) => {
    const where = `${at}/subagent_trajectories/${index}`;
    if (sub.trajectory_id == null) problems.push(`${where}/trajectory_id: an embedded sub-agent needs one`);
    else if (seen.has(sub.trajectory_id)) problems.push(`${where}/trajectory_id: "${sub.trajectory_id}" is not unique`);
    else seen.add(sub.trajectory_id);
    problems.push(...atifProblems(sub, where, everyVersion));
  });
  return problems;
}

/** Whether a step's message or one of its results has an audio part (which v1.8 added). */
export function stepHasAudio(step: AtifStep): boolean {
  const audio = (content: AtifStep["message"] | null | undefined) => Array.isArray(content) && content.some((part) => part.type === "audio");
  return audio(step.message) || (step.observation?.results ?? []).some((result) => audio(result.content));
}

function partProblems(parts: readonly AtifContentPart[], where: string): string[] {
  return parts.flatMap((part, i) => {
    const text = part.text !== undefined && part.text !== null;
    const source = part.source ?? undefined;
    if (part.type === "text") return !text || source !== undefined ? [`${where}/${i}: a text part has text and no source`] : [];
    if (source === undefined || text) return [`${where}/${i}: an ${part.type} part has a source and no text`];
    // The source's kind is told by its media type, as pydantic tells the union's members apart.
    const kind = source.media_type.startsWith("audio/") ? "audio" : "image";
    return kind === part.type ? [] : [`${where}/${i}: an ${part.type} part has an ${kind} source (media_type ${source.media_type})`];
  });
}

/** The ATIF root fields acc has no slot for, kept under `extra.atif` by the ATIF importer. */
export interface StoredRoot {
  schema_version?: string;
  session_id?: string;
  trajectory_id?: string;
  agent_name?: string;
  agent_version?: string;
  agent_extra?: Record<string, unknown>;
  notes?: string;
  final_metrics?: Record<string, unknown>;
  continued_trajectory_ref?: string;
  extra?: Record<string, unknown>;
}

/** The ATIF step fields acc has no slot for, kept under a message's `extra.atif` by the ATIF importer. */
export interface StoredStep {
  reasoning_effort?: string | number;
  metrics?: Record<string, unknown>;
  llm_call_count?: number;
  is_copied_context?: boolean;
  extra?: Record<string, unknown>;
  /** Tool call `extra` by tool_call_id. */
  call_extra?: Record<string, Record<string, unknown>>;
  /** An observation result's `extra` and sub-agent references (on tool messages). */
  result_extra?: Record<string, unknown>;
  subagent_trajectory_ref?: AtifSubagentRef[];
  /** The step's message (or the result's content) was content parts (multimodal); kept verbatim. */
  content_parts?: unknown[];
  /** The result had no content (a sub-agent reference only). */
  no_content?: true;
  /** The result had no source_call_id (acc may still pair it with a call by position). */
  no_source_call_id?: true;
}

/** `value` without its undefined fields. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as T;
}

export function nonEmpty(value: Record<string, unknown>): Record<string, unknown> | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}
