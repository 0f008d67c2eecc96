import type { ImportWarning } from "../records/import-warning.js";
import type {
  Final,
  Locator,
  Outcome,
  SubagentLink,
  Task,
  ToolCall,
  ToolDefinition,
  TrajectoryEvent,
  Message,
  Trajectory,
} from "../records/trajectory.js";
import type { JsonLine } from "../io/json-lines.js";
import type { FileStart } from "../io/lines.js";

/** A JSONL line as an importer sees it (src/io/json-lines.ts): parsed, or why it could not be. */
export type { JsonLine };

/** What detection sees of an input, from its content only. */
export type Probe =
  | { container: "jsonl"; file: string; head: JsonLine[] }
  | { container: "json"; file: string; document: unknown }
  | { container: "directory"; path: string; entries: string[] };

export type ImportInput =
  /** `start`: the first bytes of a plain file, read for detection (a reader of the file's chunks goes on from them). */
  | { container: "jsonl"; file: string; lines: AsyncIterable<JsonLine>; start?: FileStart }
  | { container: "json"; file: string; document: unknown }
  | { container: "directory"; path: string };

export type RejectCode =
  | "invalid-json"
  | "invalid-utf8"
  | "line-too-long"
  | "document-too-large"
  | "empty-file"
  | "unknown-format"
  | "unreadable"
  | "wrong-shape"
  | "schema"
  /** The importer threw something other than a ShapeError: a bug in acc, not in the input. */
  | "internal-error";

/**
 * A record (`record`) or a damaged line inside a record that was still imported (`line`).
 * Only record rejects count in read = imported + rejected; line rejects are listed too.
 */
export interface Reject {
  file: string;
  locator: Locator;
  scope: "record" | "line";
  code: RejectCode;
  reason: string;
  format?: string;
}

export type DraftToolCall = Omit<ToolCall, "id" | "id_origin"> & { id: string | null };

export type DraftMessage =
  | Exclude<Message, { role: "assistant" } | { role: "tool" }>
  | (Omit<Extract<Message, { role: "assistant" }>, "tool_calls"> & { tool_calls: DraftToolCall[] })
  | Omit<Extract<Message, { role: "tool" }>, "pairing">;

/** What an importer hands over; `finishTrajectory` pairs, cleans, infers and validates it. */
export interface TrajectoryDraft {
  locator: Locator;
  format_version?: string;
  model?: string;
  task?: Partial<Task>;
  tools?: ToolDefinition[];
  messages: DraftMessage[];
  final?: Partial<Final>;
  outcome?: Partial<Outcome>;
  events?: TrajectoryEvent[];
  subagents?: SubagentLink[];
  parent?: { trajectory_id: string; call_id?: string };
  warnings?: ImportWarning[];
  extra?: Record<string, unknown>;
  /** Identity kept from an already canonical record (acc's own trajectories) instead of derived anew. */
  keep?: Pick<Trajectory, "id" | "source" | "domain" | "domain_origin" | "secrets">;
}

export type ImportItem =
  | { kind: "trajectory"; draft: TrajectoryDraft }
  | { kind: "reject"; locator: Locator; scope: "record" | "line"; code: RejectCode; reason: string };

/**
 * Why source text is knowingly absent from the trajectories (the lossless audit, `acc import --audit`):
 * - `structure`: the field's meaning is the record's shape (type tags, links between records, markup
 *   parsed into tool calls);
 * - `bookkeeping`: run metadata no model saw (hook progress, UI state, ids and timestamps of it);
 * - `duplicate`: a copy or rendering of text the trajectory keeps once;
 * - `noise`: fixed text that carries nothing (status lines, placeholders).
 * Text under a rule is still looked for in the output; the rule only explains what is missing.
 */
export type DropReason = "structure" | "bookkeeping" | "duplicate" | "noise";

/**
 * Source text an importer leaves out on purpose, by where it sits in a source record.
 * `path` segments are separated by `/`: a key, `*` (any one key or array index), `**` (any run of
 * keys, also none), `$json` (into a string that holds JSON) and `{key=a|b}` (the object here has
 * `key` equal to `a` or `b`, or to anything with `{key=*}`; it consumes nothing). Example: `/{type=progress}/**`.
 */
export interface DropRule {
  path: string;
  reason: DropReason;
  /** What the dropped text is, for the audit report. */
  note: string;
  /**
   * Markup in the text that the importer parsed into structure (`<think>` tags, `Action:` labels, tool-call
   * tags), matched anywhere in a line: the audit takes it out of a text it did not find whole and looks for
   * what is left. Without it the rule covers the whole text at `path`.
   */
  markup?: RegExp;
}

export interface Importer {
  /** Stable name used in `--format` and `source.format`, e.g. `openai-chat`. */
  readonly format: string;
  readonly description: string;
  /** Source text this importer leaves out on purpose; anything else missing from its output is a loss. */
  readonly dropRules?: readonly DropRule[];
  /** True when every JSONL line is an independent record, so a file's lines can be imported in parallel. */
  readonly rowBased?: boolean;
  /** How sure, from content alone: 0 = not this format, 1 = certain. */
  detect(probe: Probe): number;
  read(input: ImportInput): AsyncIterable<ImportItem>;
}
