import { without } from "../formats/common/text.js";
import { isRecord } from "../json.js";
import { ATIF_VERSION, type AtifObservationResult, type AtifStep, type AtifToolCall, type AtifTrajectory, type StoredRoot, type StoredStep, compact, nonEmpty, stepHasAudio } from "../records/atif.js";
import type { Message, ToolCall, Trajectory, TrajectoryEvent } from "../records/trajectory.js";
import { toolDefinition } from "./sft.js";

/**
 * acc → ATIF. Every field ATIF has a slot for goes there (steps, reasoning, calls, results, model,
 * tools, timestamps, and — for trajectories imported from ATIF — metrics, token ids, logprobs,
 * copied-context flags, sub-agent references, notes, final metrics); what ATIF has no slot for goes
 * under `extra.acc` of the root, step, tool call or result it belongs to, so the ATIF importer
 * rebuilds the same record (docs/formats/atif.md lists every mapping).
 *
 * Compaction and summary events become `system` steps at their place with
 * `extra.context_management` (`type`, `marker`, `trigger`, `tokens_before`) and the summary as the
 * message.
 */
export function trajectoryToAtif(t: Trajectory): AtifTrajectory {
  const stored = isRecord(t.extra.atif) ? (t.extra.atif as StoredRoot) : undefined;
  const steps: AtifStep[] = [];
  const events = [...t.events];
  const callSubagents = new Map<string, Trajectory["subagents"]>();
  for (const link of t.subagents) if (link.call_id !== undefined) callSubagents.set(link.call_id, [...(callSubagents.get(link.call_id) ?? []), link]);

  const flushEvents = (index: number) => {
    while (events.length > 0 && events[0]!.message_index <= index) steps.push(eventStep(events.shift()!, steps.length + 1));
  };
  t.messages.forEach((message, index) => {
    flushEvents(index);
    if (message.role === "tool") {
      const last = steps.at(-1);
      const holder = last !== undefined && !isEventStep(last) && (last.source === "agent" || last.source === "system") ? last : undefined;
      const target = holder ?? pushStep(steps, { step_id: steps.length + 1, source: "system", message: "", extra: { acc: { observation_only: true } } });
      const results = (target.observation ??= { results: [] }).results;
      results.push(toolResult(message, target, callSubagents));
      return;
    }
    steps.push(messageStep(message, steps.length + 1));
  });
  flushEvents(Number.POSITIVE_INFINITY);

  const accRoot = compact({
    id: t.id,
    source: t.source,
    domain: t.domain,
    domain_origin: t.domain_origin,
    task: t.task,
    final: t.final,
    outcome: t.outcome,
    subagents: t.subagents,
    parent: t.parent,
    warnings: t.warnings,
    secrets: t.secrets,
    extra: nonEmpty(without(t.extra, ["atif"])),
    // The native root fields were read from an ATIF document (kept under extra.atif), not made up here.
    atif: stored ? true : undefined,
  });
  return compact({
    schema_version: steps.some(stepHasAudio) ? "ATIF-v1.8" : ATIF_VERSION,
    ...(stored ? pick(stored, ["session_id", "trajectory_id"]) : { session_id: t.id, trajectory_id: t.id }),
    agent: compact({
      name: stored?.agent_name ?? t.source.format,
      version: stored?.agent_version ?? t.source.format_version ?? "unknown",
      model_name: t.model,
      tool_definitions: t.tools?.map(toolDefinition),
      extra: stored?.agent_extra,
    }),
    steps,
    ...(stored ? pick(stored, ["notes", "final_metrics", "continued_trajectory_ref"]) : {}),
    extra: { ...(stored?.extra ?? {}), acc: accRoot },
  }) as AtifTrajectory;
}

function pushStep(steps: AtifStep[], step: AtifStep): AtifStep {
  steps.push(step);
  return step;
}

function isEventStep(step: AtifStep): boolean {
  return isRecord(step.extra) && isRecord(step.extra.context_management);
}

function eventStep(event: TrajectoryEvent, stepId: number): AtifStep {
  return {
    step_id: stepId,
    ...(event.timestamp !== undefined ? { timestamp: event.timestamp } : {}),
    source: "system",
    message: event.summary ?? "",
    extra: {
      context_management: compact({ type: event.kind, marker: event.marker, trigger: event.trigger, tokens_before: event.tokens_before }),
      ...(event.summary === null ? { acc: { summary: null } } : {}),
    },
  };
}

function storedStep(message: Message): StoredStep | undefined {
  return isRecord(message.extra?.atif) ? (message.extra.atif as StoredStep) : undefined;
}

/** The message fields every role shares that ATIF has no slot for. */
function commonResidual(message: Message): Record<string, unknown> {
  return compact({
    in_context: message.in_context,
    source_id: message.source_id,
    source_role: message.source_role,
    extra: message.extra === undefined || (Object.keys(message.extra).length === 1 && "atif" in message.extra) ? undefined : without(message.extra, ["atif"]),
  });
}

function messageStep(message: Exclude<Message, { role: "tool" }>, stepId: number): AtifStep {
  const stored = storedStep(message);
  const residual = commonResidual(message);
  const base = { step_id: stepId, ...(message.timestamp !== undefined ? { timestamp: message.timestamp } : {}) };
  const copied = stored?.is_copied_context !== undefined ? { is_copied_context: stored.is_copied_context } : {};
  const content = stored?.content_parts ?? message.content ?? "";
  if (message.role !== "assistant") {
    return withExtra<AtifStep>({ ...base, source: message.role, message: content as AtifStep["message"], ...copied }, stored?.extra, residual);
  }
  if (message.content === null) residual.content = null;
  const step: AtifStep = {
    ...base,
    source: "agent",
    ...(message.model !== undefined ? { model_name: message.model } : {}),
    ...(stored?.reasoning_effort !== undefined ? { reasoning_effort: stored.reasoning_effort } : {}),
    message: content as AtifStep["message"],
    ...(message.reasoning !== null ? { reasoning_content: message.reasoning } : {}),
    ...(message.tool_calls.length > 0 ? { tool_calls: message.tool_calls.map((call) => toolCall(call, stored?.call_extra?.[call.id])) } : {}),
    ...(stored?.metrics !== undefined ? { metrics: stored.metrics } : {}),
    ...copied,
    ...(stored?.llm_call_count !== undefined ? { llm_call_count: stored.llm_call_count } : {}),
  };
  return withExtra(step, stored?.extra, residual);
}

function withExtra<T extends { extra?: Record<string, unknown> | null }>(item: T, native: Record<string, unknown> | undefined, residual: Record<string, unknown>): T {
  const extra = { ...(native ?? {}), ...(Object.keys(residual).length > 0 ? { acc: residual } : {}) };
  if (Object.keys(extra).length > 0) item.extra = extra;
  return item;
}

function toolCall(call: ToolCall, nativeExtra: Record<string, unknown> | undefined): AtifToolCall {
  const object = isRecord(call.arguments);
  const residual = compact({
    id_origin: call.id_origin === "source" ? undefined : call.id_origin,
    type: call.type === "function" ? undefined : call.type,
    raw_arguments: call.raw_arguments ?? undefined,
    // ATIF arguments are an object: anything else (a string of a custom tool, null after a parse error) is kept here.
    arguments: object ? undefined : { value: call.arguments },
    arguments_error: call.arguments_error,
  });
  return withExtra<AtifToolCall>(
    { tool_call_id: call.id, function_name: call.name, arguments: object ? (call.arguments as Record<string, unknown>) : {} },
    nativeExtra,
    residual,
  );
}

function toolResult(message: Extract<Message, { role: "tool" }>, step: AtifStep, callSubagents: Map<string, Trajectory["subagents"]>): AtifObservationResult {
  const stored = storedStep(message);
  const call = message.call_id === null ? undefined : step.tool_calls?.find((c) => c.tool_call_id === message.call_id);
  const residual: Record<string, unknown> = {
    ...commonResidual(message),
    ...compact({
      call_id: call === undefined || stored?.no_source_call_id ? (message.call_id ?? undefined) : undefined,
      name: message.name !== (call?.function_name ?? null) ? message.name : undefined,
      is_error: message.is_error ? true : undefined,
      pairing: message.pairing === "id" ? undefined : message.pairing,
      timestamp: message.timestamp,
    }),
  };
  const links = message.call_id === null ? [] : (callSubagents.get(message.call_id) ?? []);
  const refs = stored?.subagent_trajectory_ref ?? links.map((link) => ({ trajectory_id: link.trajectory_id, ...(link.file !== undefined ? { trajectory_path: link.file } : {}), extra: { acc: compact({ agent_type: link.agent_type }) } }));
  // acc embeds no sub-agent, so a reference without a file resolves nowhere and Harbor refuses the document
  // (atifProblems): such references are kept under the result's extra.acc instead, where the importer finds
  // them again. A log's own references move there together, to keep their order; acc's links are rebuilt
  // from the root's extra.acc, so only theirs without a file move.
  const unresolved = refs.filter((ref) => !ref.trajectory_path);
  const [written, kept] = unresolved.length === 0 ? [refs, []] : stored?.subagent_trajectory_ref ? [[], refs] : [refs.filter((ref) => ref.trajectory_path), unresolved];
  if (kept.length > 0) residual.subagent_trajectory_ref = kept;
  return withExtra<AtifObservationResult>(
    {
      ...(call !== undefined && !stored?.no_source_call_id ? { source_call_id: call.tool_call_id } : {}),
      ...(stored?.no_content ? {} : { content: (stored?.content_parts ?? message.content) as AtifObservationResult["content"] }),
      ...(written.length > 0 ? { subagent_trajectory_ref: written } : {}),
    },
    stored?.result_extra,
    residual,
  );
}

function pick<T extends object>(value: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
