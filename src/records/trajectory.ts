import { z } from "zod";
import { ImportWarning } from "./import-warning.js";

/** Version of the Trajectory wire format; bump on any incompatible change. */
export const TRAJECTORY_SCHEMA_VERSION = "1.0.0";

export const Domain = z.enum(["search", "swe", "sql", "generic"]);
export type Domain = z.infer<typeof Domain>;

const Extra = z.record(z.string(), z.unknown());

/** Where a trajectory (or a piece of it) was read from. `line` is 1-based and counts physical lines. */
export const Locator = z
  .object({
    line: z.number().int().positive().optional(),
    line_end: z.number().int().positive().optional(),
    index: z.number().int().nonnegative().optional(),
    json_pointer: z.string().optional(),
    event_file: z.string().optional(),
  })
  .strict();
export type Locator = z.infer<typeof Locator>;

export const Source = z
  .object({
    format: z.string().min(1),
    format_version: z.string().optional(),
    file: z.string().min(1),
    locator: Locator,
  })
  .strict();
export type Source = z.infer<typeof Source>;

export const ToolCall = z
  .object({
    id: z.string().min(1),
    /** `source`: the log had this id; `synthesised`: the log had none; `deduplicated`: the log reused it. */
    id_origin: z.enum(["source", "synthesised", "deduplicated"]),
    name: z.string(),
    /** The exact argument text of the log, or null when the log stored an object. Never re-serialised. */
    raw_arguments: z.string().nullable(),
    arguments: z.unknown().nullable(),
    arguments_error: z.string().optional(),
    type: z.enum(["function", "custom", "shell", "text", "server"]),
  })
  .strict();
export type ToolCall = z.infer<typeof ToolCall>;

const MessageCommon = {
  /** false when a later compaction replaced this message in the agent's live context. */
  in_context: z.boolean().optional(),
  timestamp: z.string().optional(),
  source_id: z.string().optional(),
  /** The role exactly as the log stored it, when it differs from the canonical role. */
  source_role: z.string().optional(),
  extra: Extra.optional(),
};

export const SystemMessage = z.object({ role: z.literal("system"), content: z.string(), ...MessageCommon }).strict();
export const UserMessage = z.object({ role: z.literal("user"), content: z.string(), ...MessageCommon }).strict();
export const AssistantMessage = z
  .object({
    role: z.literal("assistant"),
    content: z.string().nullable(),
    reasoning: z.string().nullable(),
    tool_calls: z.array(ToolCall),
    model: z.string().optional(),
    ...MessageCommon,
  })
  .strict();
export const ToolMessage = z
  .object({
    role: z.literal("tool"),
    call_id: z.string().nullable(),
    name: z.string().nullable(),
    content: z.string(),
    is_error: z.boolean(),
    /** How this result was tied to its call. */
    pairing: z.enum(["id", "position", "unpaired"]),
    ...MessageCommon,
  })
  .strict();

export const Message = z.discriminatedUnion("role", [SystemMessage, UserMessage, AssistantMessage, ToolMessage], {
  error: (issue) => (issue.code === "invalid_union" ? 'one of "system" | "user" | "assistant" | "tool"' : undefined),
});
export type Message = z.infer<typeof Message>;
export type SystemMessage = z.infer<typeof SystemMessage>;
export type UserMessage = z.infer<typeof UserMessage>;
export type AssistantMessage = z.infer<typeof AssistantMessage>;
export type ToolMessage = z.infer<typeof ToolMessage>;

export const Task = z
  .object({
    /** The user's original request, not injected context (AGENTS.md, environment blocks). */
    question: z.string().nullable(),
    question_origin: z.enum(["dataset_field", "first_user_message", "extracted_from_template", "unknown"]),
    system_prompt: z.string().nullable(),
    ground_truth: z.string().nullable(),
    instance_id: z.string().optional(),
    repo: z
      .object({ name: z.string().optional(), url: z.string().optional(), base_commit: z.string().optional() })
      .strict()
      .optional(),
    database: z
      .object({ engine: z.string().optional(), db_id: z.string().optional(), path: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type Task = z.infer<typeof Task>;

export const ToolDefinition = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.unknown().optional(),
    /** Fields of the source's tool spec with no slot here (`strict`, `cache_control`, a `required` list beside the parameters). */
    extra: Extra.optional(),
  })
  .strict();
export type ToolDefinition = z.infer<typeof ToolDefinition>;

export const Final = z
  .object({
    answer: z.string().nullable(),
    reasoning: z.string().nullable(),
    /** Where the answer came from. */
    kind: z.enum(["message", "submit_call", "patch", "sql", "answer_tag", "boxed", "dataset_field", "none"]),
  })
  .strict();
export type Final = z.infer<typeof Final>;

export const Outcome = z
  .object({
    success: z.boolean().nullable(),
    reward: z.number().nullable(),
    /** Which source field the label came from, e.g. `tau_bench.reward`. */
    label_source: z.string().nullable(),
    submitted_patch: z.string().nullable(),
    submitted_sql: z.string().nullable(),
    exit_status: z.string().optional(),
  })
  .strict();
export type Outcome = z.infer<typeof Outcome>;

/** A context-management event. `message_index` is the position in `messages` where it took effect. */
export const TrajectoryEvent = z
  .object({
    kind: z.enum(["compaction", "summary"]),
    message_index: z.number().int().nonnegative(),
    trigger: z.string().optional(),
    summary: z.string().nullable(),
    /** The source's own signal, e.g. `compact_boundary`, `compacted`, `condensation`. */
    marker: z.string(),
    tokens_before: z.number().int().nonnegative().optional(),
    timestamp: z.string().optional(),
  })
  .strict();
export type TrajectoryEvent = z.infer<typeof TrajectoryEvent>;

export const SubagentLink = z
  .object({
    trajectory_id: z.string(),
    call_id: z.string().optional(),
    agent_type: z.string().optional(),
    file: z.string().optional(),
  })
  .strict();
export type SubagentLink = z.infer<typeof SubagentLink>;

export const Trajectory = z
  .object({
    schema: z.literal("acc.trajectory"),
    schema_version: z.literal(TRAJECTORY_SCHEMA_VERSION),
    id: z.string().min(1),
    source: Source,
    domain: Domain,
    domain_origin: z.enum(["inferred", "given"]),
    model: z.string().optional(),
    task: Task,
    tools: z.array(ToolDefinition).optional(),
    messages: z.array(Message),
    final: Final,
    outcome: Outcome,
    events: z.array(TrajectoryEvent),
    subagents: z.array(SubagentLink),
    parent: z.object({ trajectory_id: z.string(), call_id: z.string().optional() }).strict().optional(),
    /** Lossy or heuristic decisions the importer made, each with its code (src/records/import-warning.ts). */
    warnings: z.array(ImportWarning).optional(),
    /**
     * Secrets and personal details found in the texts, counted by type (never the values): replaced by
     * `<SECRET:type>` placeholders (`redacted`) or only found (`reported`). Absent when none were found.
     */
    secrets: z
      .object({ mode: z.enum(["redacted", "reported"]), counts: z.record(z.string(), z.number().int().positive()) })
      .strict()
      .optional(),
    /** Source fields the record has no slot for, kept verbatim. */
    extra: Extra,
  })
  .strict();
export type Trajectory = z.infer<typeof Trajectory>;
