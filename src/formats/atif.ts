import type { ImportWarning } from "../records/import-warning.js";
import { ATIF_VERSIONS, type AtifObservationResult, type AtifStep, type AtifSubagentRef, AtifTrajectory, type StoredRoot, type StoredStep, atifProblems, compact, nonEmpty, stepHasAudio } from "../records/atif.js";
import type { Locator, Message, SubagentLink, ToolCall, Trajectory, TrajectoryEvent } from "../records/trajectory.js";
import { formatProblems, validate } from "../records/validate.js";
import { ShapeError, rowsImporter } from "./common/rows.js";
import { contentToText, isRecord, without } from "./common/text.js";
import { toolDefinitions } from "./openai-chat.js";
import type { DraftMessage, DraftToolCall, TrajectoryDraft } from "./types.js";

const VERSION = /^ATIF-v(\d+)\.(\d+)$/;

/**
 * Harbor's ATIF documents (trajectory.json, or one per JSONL line), every version v1.0–v1.8; a newer
 * v1.x is read with a warning. Documents `acc export --to atif` wrote carry acc's own fields under
 * `extra.acc` and import back to the record they came from; other documents keep every ATIF field acc
 * has no slot for under `extra.atif` (root and message), so `acc export --to atif` writes them back.
 * Embedded sub-agents (v1.7 `subagent_trajectories`) become trajectories of their own.
 */
export const atifImporter = rowsImporter({
  format: "atif",
  description: "Harbor ATIF trajectories (ATIF-v1.0 to v1.8; trajectory.json or JSONL), sub-agents embedded or referenced",
  dropRules: [{ path: "/**/steps/*/source", reason: "structure", note: "who took the step (user, agent, system), mapped to the message role" }],
  detectRow(row) {
    return typeof row.schema_version === "string" && VERSION.test(row.schema_version) && Array.isArray(row.steps) ? 1 : 0;
  },
  convertRow(row, locator) {
    const warnings: ImportWarning[] = [];
    const doc = readDocument(row, warnings);
    const drafts: TrajectoryDraft[] = [];
    convertDocument(doc, locator, warnings, drafts, undefined);
    return drafts;
  },
});

/** The newest version acc knows: a later v1.x is read as this one, with a warning. */
const NEWEST = ATIF_VERSIONS.at(-1)!;

/** Validates against the ATIF models; a newer v1.x than acc knows is read as the newest it knows, with a warning. */
function readDocument(row: Record<string, unknown>, warnings: ImportWarning[]): AtifTrajectory {
  const declared = String(row.schema_version);
  const known = (ATIF_VERSIONS as readonly string[]).includes(declared);
  const major = VERSION.exec(declared)![1];
  if (!known) {
    if (major !== "1" || versionRank(declared) < versionRank(NEWEST)) throw new ShapeError(`schema_version ${declared}: not an ATIF version acc reads (ATIF-v1.0 to ${NEWEST.slice(5)}, or a later v1.x)`);
    warnings.push({ code: "newer-version", message: `schema_version ${declared} is newer than acc knows (${NEWEST}): read as ${NEWEST.slice(5)}`, field: "schema_version", name: declared });
  }
  const result = validate(AtifTrajectory, known ? row : { ...row, schema_version: NEWEST });
  if (!result.ok) throw new ShapeError(`not a valid ${declared} trajectory: ${formatProblems(result.problems)}`);
  const problems = atifProblems(result.value);
  if (problems.length > 0) throw new ShapeError(`not a valid ${declared} trajectory: ${problems.join("; ")}`);
  const needed = versionNeeded(result.value);
  if (known && versionRank(needed.version) > versionRank(declared)) {
    warnings.push({ code: "version-mismatch", message: `declares ${declared} but uses ${needed.field} (added in ${needed.version})`, field: needed.field, name: declared });
  }
  return { ...result.value, schema_version: declared as AtifTrajectory["schema_version"] };
}

function versionRank(version: string): number {
  const [, major, minor] = VERSION.exec(version)!;
  return Number(major) * 1000 + Number(minor);
}

/** The newest ATIF version whose fields the document uses (RFC 0001's version history). */
export function versionNeeded(doc: AtifTrajectory): { version: string; field: string } {
  let best = { version: "ATIF-v1.0", field: "" };
  const use = (version: string, field: string) => {
    if (versionRank(version) > versionRank(best.version)) best = { version, field };
  };
  if (doc.trajectory_id != null) use("ATIF-v1.7", "trajectory_id");
  if (doc.subagent_trajectories != null) use("ATIF-v1.7", "subagent_trajectories");
  for (const step of doc.steps) {
    if (stepHasAudio(step)) use("ATIF-v1.8", "audio content parts");
    if (step.llm_call_count != null) use("ATIF-v1.7", "llm_call_count");
    if (step.tool_calls?.some((c) => c.extra != null)) use("ATIF-v1.7", "tool_calls[].extra");
    for (const r of step.observation?.results ?? []) {
      if (r.extra != null) use("ATIF-v1.7", "observation.results[].extra");
      if (r.subagent_trajectory_ref?.some((ref) => ref.trajectory_id != null)) use("ATIF-v1.7", "subagent_trajectory_ref[].trajectory_id");
      if (Array.isArray(r.content)) use("ATIF-v1.6", "content parts");
    }
    if (Array.isArray(step.message)) use("ATIF-v1.6", "content parts");
    if (step.is_copied_context != null) use("ATIF-v1.5", "is_copied_context");
    if (step.metrics?.prompt_token_ids != null) use("ATIF-v1.4", "prompt_token_ids");
    if (step.metrics?.completion_token_ids != null) use("ATIF-v1.3", "completion_token_ids");
    if (step.source === "system" && step.observation != null) use("ATIF-v1.2", "observation on a system step");
  }
  return best;
}

/** acc's own fields of a document acc wrote (`extra.acc` of the root). */
interface AccRoot {
  id: string;
  source: Trajectory["source"];
  domain: Trajectory["domain"];
  domain_origin: Trajectory["domain_origin"];
  task: Trajectory["task"];
  final: Trajectory["final"];
  outcome: Trajectory["outcome"];
  subagents: SubagentLink[];
  parent?: Trajectory["parent"];
  warnings?: ImportWarning[];
  secrets?: Trajectory["secrets"];
  extra?: Record<string, unknown>;
  atif?: true;
}

function accRootOf(doc: AtifTrajectory): AccRoot | undefined {
  const acc = doc.extra?.acc;
  return isRecord(acc) && typeof acc.id === "string" && isRecord(acc.source) && typeof acc.domain === "string" ? (acc as unknown as AccRoot) : undefined;
}

function convertDocument(doc: AtifTrajectory, locator: Locator, warnings: ImportWarning[], out: TrajectoryDraft[], parent: TrajectoryDraft["parent"]): void {
  const acc = accRootOf(doc);
  const subagents: SubagentLink[] = [];
  const events: TrajectoryEvent[] = [];
  const messages: (Message | DraftMessage)[] = [];
  for (const step of doc.steps) convertStep(step, acc !== undefined, messages, events, subagents);

  const storedRoot: StoredRoot = compact({
    schema_version: doc.schema_version,
    session_id: doc.session_id ?? undefined,
    trajectory_id: doc.trajectory_id ?? undefined,
    agent_name: doc.agent.name,
    agent_version: doc.agent.version,
    agent_extra: doc.agent.extra ?? undefined,
    notes: doc.notes ?? undefined,
    final_metrics: doc.final_metrics ?? undefined,
    continued_trajectory_ref: doc.continued_trajectory_ref ?? undefined,
    extra: nonEmpty(without(doc.extra ?? {}, ["acc"])),
  });
  const tools = toolDefinitions(doc.agent.tool_definitions ?? undefined);
  const ownId = doc.trajectory_id ?? doc.session_id ?? undefined;
  const embedded = doc.subagent_trajectories ?? [];
  const draft: TrajectoryDraft = {
    locator,
    format_version: doc.schema_version,
    ...(doc.agent.model_name != null ? { model: doc.agent.model_name } : {}),
    ...(tools !== undefined ? { tools } : {}),
    messages: messages as DraftMessage[],
    events,
    ...(warnings.length > 0 && acc === undefined ? { warnings: [...warnings] } : {}),
  };
  if (acc !== undefined) {
    Object.assign(draft, {
      keep: { id: acc.id, source: acc.source, domain: acc.domain, domain_origin: acc.domain_origin, ...(acc.secrets ? { secrets: acc.secrets } : {}) },
      task: acc.task,
      final: acc.final,
      outcome: acc.outcome,
      subagents: acc.subagents,
      ...(acc.parent !== undefined ? { parent: acc.parent } : {}),
      ...(acc.warnings !== undefined ? { warnings: acc.warnings } : {}),
      extra: { ...(acc.extra ?? {}), ...(acc.atif ? { atif: storedRoot } : {}) },
    });
  } else {
    const links = [...subagents, ...embedded.map((sub) => ({ trajectory_id: sub.trajectory_id ?? sub.session_id ?? "" }))];
    Object.assign(draft, { subagents: links, ...(parent !== undefined ? { parent } : {}), extra: { atif: storedRoot } });
  }
  out.push(draft);
  embedded.forEach((sub, index) => {
    const subLocator = { ...locator, json_pointer: `${locator.json_pointer ?? ""}/subagent_trajectories/${index}` };
    convertDocument(sub, subLocator, [], out, ownId !== undefined ? { trajectory_id: ownId } : undefined);
  });
}

const EVENT_KINDS = new Set(["compaction", "summary"]);

function convertStep(step: AtifStep, accMode: boolean, messages: (Message | DraftMessage)[], events: TrajectoryEvent[], subagents: SubagentLink[]): void {
  const extra = step.extra ?? {};
  const residual = isRecord(extra.acc) ? extra.acc : {};
  const manage = extra.context_management;
  if (step.source === "system" && isRecord(manage) && EVENT_KINDS.has(String(manage.type)) && typeof manage.marker === "string" && step.observation == null) {
    events.push(
      compact({
        kind: manage.type as TrajectoryEvent["kind"],
        message_index: messages.length,
        trigger: typeof manage.trigger === "string" ? manage.trigger : undefined,
        summary: residual.summary === null ? null : textOf(step.message),
        marker: manage.marker,
        tokens_before: typeof manage.tokens_before === "number" ? manage.tokens_before : undefined,
        timestamp: step.timestamp ?? undefined,
      }),
    );
    return;
  }
  const stored: StoredStep = compact({
    reasoning_effort: step.reasoning_effort ?? undefined,
    metrics: step.metrics ?? undefined,
    llm_call_count: step.llm_call_count ?? undefined,
    is_copied_context: step.is_copied_context ?? undefined,
    extra: nonEmpty(without(extra, ["acc"])),
    content_parts: Array.isArray(step.message) ? step.message : undefined,
  });
  const calls = step.tool_calls ?? [];
  if (!residual.observation_only) {
    const callExtra: Record<string, Record<string, unknown>> = {};
    const toolCalls = calls.map((call) => {
      const own = call.extra ?? {};
      const rest = without(own, ["acc"]);
      if (Object.keys(rest).length > 0) callExtra[call.tool_call_id] = rest;
      return toolCall(call.tool_call_id, call.function_name, call.arguments, isRecord(own.acc) ? own.acc : {}, accMode);
    });
    if (Object.keys(callExtra).length > 0) stored.call_extra = callExtra;
    const common = commonFields(step.timestamp ?? undefined, residual, stored);
    if (step.source === "agent") {
      messages.push({
        role: "assistant",
        content: residual.content === null ? null : textOf(step.message),
        reasoning: step.reasoning_content ?? null,
        tool_calls: toolCalls as ToolCall[],
        ...(step.model_name != null ? { model: step.model_name } : {}),
        ...common,
      });
    } else {
      messages.push({ role: step.source, content: textOf(step.message), ...common });
    }
  }
  for (const result of step.observation?.results ?? []) messages.push(toolMessage(result, calls, accMode, subagents));
}

function toolCall(id: string, name: string, args: Record<string, unknown>, residual: Record<string, unknown>, accMode: boolean): ToolCall | DraftToolCall {
  const keptArguments = isRecord(residual.arguments) && "value" in residual.arguments;
  return {
    id,
    ...(accMode ? { id_origin: (residual.id_origin as ToolCall["id_origin"] | undefined) ?? "source" } : {}),
    name,
    raw_arguments: typeof residual.raw_arguments === "string" ? residual.raw_arguments : null,
    arguments: keptArguments ? (residual.arguments as { value: unknown }).value : args,
    ...(typeof residual.arguments_error === "string" ? { arguments_error: residual.arguments_error } : {}),
    type: (residual.type as ToolCall["type"] | undefined) ?? "function",
  } as ToolCall;
}

function toolMessage(result: AtifObservationResult, calls: AtifStep["tool_calls"], accMode: boolean, subagents: SubagentLink[]): Message | DraftMessage {
  const extra = result.extra ?? {};
  const residual = isRecord(extra.acc) ? extra.acc : {};
  const callId = typeof residual.call_id === "string" ? residual.call_id : (result.source_call_id ?? null);
  const call = callId === null ? undefined : calls?.find((c) => c.tool_call_id === callId);
  // References acc wrote from its own sub-agent links carry extra.acc; the links themselves are in the root's extra.acc.
  // References that resolve nowhere (no file, no embedded sub-agent) acc keeps under the result's extra.acc.
  const kept = accMode && Array.isArray(residual.subagent_trajectory_ref) ? (residual.subagent_trajectory_ref.filter(isRecord) as AtifSubagentRef[]) : [];
  const refs = [...(result.subagent_trajectory_ref ?? []), ...kept].filter((ref) => !(accMode && isRecord(ref.extra) && isRecord(ref.extra.acc)));
  if (!accMode) {
    for (const ref of refs) {
      const id = ref.trajectory_id ?? ref.session_id ?? ref.trajectory_path ?? "";
      subagents.push(compact({ trajectory_id: id, call_id: callId ?? undefined, file: ref.trajectory_path ?? undefined }));
    }
  }
  const stored: StoredStep = compact({
    result_extra: nonEmpty(without(extra, ["acc"])),
    subagent_trajectory_ref: refs.length > 0 ? refs : undefined,
    content_parts: Array.isArray(result.content) ? result.content : undefined,
    no_content: result.content == null ? (true as const) : undefined,
    no_source_call_id: result.source_call_id == null && !accMode ? (true as const) : undefined,
  });
  return {
    role: "tool",
    call_id: callId,
    name: "name" in residual ? (residual.name as string | null) : (call?.function_name ?? null),
    content: textOf(result.content ?? ""),
    is_error: residual.is_error === true,
    ...(accMode ? { pairing: (residual.pairing as Extract<Message, { role: "tool" }>["pairing"] | undefined) ?? "id" } : {}),
    ...commonFields(typeof residual.timestamp === "string" ? residual.timestamp : undefined, residual, stored),
  } as Message;
}

type CommonFields = {
  in_context?: boolean;
  timestamp?: string;
  source_id?: string;
  source_role?: string;
  extra?: Record<string, unknown>;
};

/** The fields every message has: timestamp, context flags, source id and role, extra (with the stored ATIF fields). */
function commonFields(timestamp: string | undefined, residual: Record<string, unknown>, stored: StoredStep): CommonFields {
  const own = isRecord(residual.extra) ? residual.extra : undefined;
  const hasStored = Object.keys(stored).length > 0;
  const extra = own === undefined && !hasStored ? undefined : { ...(own ?? {}), ...(hasStored ? { atif: stored } : {}) };
  return compact<CommonFields>({
    in_context: typeof residual.in_context === "boolean" ? residual.in_context : undefined,
    timestamp,
    source_id: typeof residual.source_id === "string" ? residual.source_id : undefined,
    source_role: typeof residual.source_role === "string" ? residual.source_role : undefined,
    extra,
  });
}

/** Text of a string or of content parts (images become `[image]`, and the parts are kept verbatim). */
function textOf(content: AtifStep["message"]): string {
  return typeof content === "string" ? content : contentToText(content);
}
