import { createHash } from "node:crypto";
import {
  type Domain,
  type Locator,
  type Message,
  TRAJECTORY_SCHEMA_VERSION,
  Trajectory,
} from "../../records/trajectory.js";
import { type SchemaProblem } from "../../records/validate.js";
import { validateFast } from "../../records/fast-validate.js";
import { redactTrajectory } from "../../privacy/trajectory.js";
import type { RedactMode } from "../../privacy/types.js";
import type { ScanMemo } from "../../privacy/scan-memo.js";
import { inferDomain } from "../domain.js";
import type { TrajectoryDraft } from "../types.js";
import { pairToolCalls } from "./pairing.js";
import { stripAnsi } from "./text.js";
import { withWellFormedStrings } from "./unicode.js";

/** Deterministic id: the same file, locator and format always give the same id. */
export function trajectoryId(format: string, file: string, locator: Locator): string {
  const key = JSON.stringify([format, file, locator.line ?? null, locator.index ?? null, locator.json_pointer ?? null]);
  return `${format}-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

export interface FinishOptions {
  format: string;
  file: string;
  /** Overrides the inferred domain. */
  domain?: Domain;
  /** Secrets in the finished record: replaced (`on`), only counted (`report`), or left alone (`off`, the default). */
  redact?: RedactMode;
  /** The findings of long texts, shared by the records of one input unit (see ScanMemo). */
  memo?: ScanMemo;
}

/** Turns an importer's draft into a validated Trajectory: pairs calls, strips escape codes, fills defaults, redacts. */
export function finishTrajectory(
  draft: TrajectoryDraft,
  options: FinishOptions,
): { ok: true; trajectory: Trajectory; loneSurrogates: number } | { ok: false; problems: SchemaProblem[] } {
  // A kept canonical record is already paired and clean; pairing again would lose how it was paired.
  const messages = draft.keep ? (draft.messages as Message[]) : pairToolCalls(draft.messages).map(cleanMessage);
  const firstUser = messages.find((m) => m.role === "user");
  const firstSystem = messages.find((m) => m.role === "system");
  const lastAnswer = [...messages].reverse().find((m) => m.role === "assistant" && m.tool_calls.length === 0);

  const task = {
    question: firstUser?.content ?? null,
    question_origin: firstUser ? ("first_user_message" as const) : ("unknown" as const),
    system_prompt: firstSystem?.content ?? null,
    ground_truth: null,
    ...draft.task,
  };
  const finalFromMessages =
    lastAnswer?.role === "assistant"
      ? { answer: lastAnswer.content, reasoning: lastAnswer.reasoning, kind: "message" as const }
      : { answer: null, reasoning: null, kind: "none" as const };

  const candidate = {
    schema: "acc.trajectory",
    schema_version: TRAJECTORY_SCHEMA_VERSION,
    id: draft.keep?.id ?? trajectoryId(options.format, options.file, draft.locator),
    source: draft.keep?.source ?? {
      format: options.format,
      ...(draft.format_version !== undefined ? { format_version: draft.format_version } : {}),
      file: options.file,
      locator: draft.locator,
    },
    domain: options.domain ?? draft.keep?.domain ?? inferDomain(messages, draft.task),
    domain_origin: options.domain ? "given" : (draft.keep?.domain_origin ?? "inferred"),
    ...(draft.model !== undefined ? { model: draft.model } : {}),
    task,
    ...(draft.tools !== undefined ? { tools: draft.tools } : {}),
    messages,
    final: { ...finalFromMessages, ...draft.final },
    outcome: {
      success: null,
      reward: null,
      label_source: null,
      submitted_patch: null,
      submitted_sql: null,
      ...draft.outcome,
    },
    events: draft.events ?? [],
    subagents: draft.subagents ?? [],
    ...(draft.parent !== undefined ? { parent: draft.parent } : {}),
    ...(draft.warnings !== undefined && draft.warnings.length > 0 ? { warnings: draft.warnings } : {}),
    extra: draft.extra ?? {},
    ...(draft.keep?.secrets ? { secrets: draft.keep.secrets } : {}),
  };
  // Half of a UTF-16 pair has no UTF-8 form: the record would not be valid UTF-8 for other readers.
  const { value: wellFormed, replaced } = withWellFormedStrings(candidate);
  if (replaced > 0) {
    const note = `replaced ${replaced} lone UTF-16 surrogate${replaced === 1 ? "" : "s"} (half of a pair) with U+FFFD`;
    wellFormed.warnings = [...(wellFormed.warnings ?? []), { code: "lone-surrogates", message: note, count: replaced }];
  }
  const result = validateFast(Trajectory, wellFormed);
  if (!result.ok) return { ok: false, problems: result.problems };
  const redact = options.redact ?? "off";
  return { ok: true, trajectory: redact === "off" ? result.value : redactTrajectory(result.value, redact, options.memo), loneSurrogates: replaced };
}

function cleanMessage(message: Message): Message {
  if (message.role !== "tool") return message;
  const content = stripAnsi(message.content);
  return content === message.content ? message : { ...message, content };
}
