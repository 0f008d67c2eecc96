import type { ImportWarning } from "../../records/import-warning.js";
import type { Final, ToolDefinition, TrajectoryEvent } from "../../records/trajectory.js";
import { argumentsOf } from "../common/openai-messages.js";
import { expect, kindOf, ShapeError } from "../common/rows.js";
import { readReasoning } from "../common/reasoning.js";
import { asString, contentToText, isRecord, without } from "../common/text.js";
import { toolDefinitions } from "../openai-chat.js";
import { leftovers } from "../common/coding-agents.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

/** Events that only move the agent's state machine; they say nothing the model saw or did. */
export const BOOKKEEPING_ACTIONS = new Set(["change_agent_state", "null", "pause", "resume", "stop", "recall", "condensation_request"]);
export const BOOKKEEPING_OBSERVATIONS = new Set(["agent_state_changed", "null"]);
/** `message` on actions and observations is a display line rebuilt from the event ("Running command: …"). */
const EVENT_MAPPED = ["id", "timestamp", "source", "message", "action", "observation", "args", "content", "extras", "cause", "tool_call_metadata"];

export interface V0Conversation {
  messages: DraftMessage[];
  events: TrajectoryEvent[];
  tools?: ToolDefinition[];
  /** From a `finish` action: its final_thought (or outputs) and thought. */
  finish?: Pick<Final, "answer" | "reasoning">;
  warnings: ImportWarning[];
}

type Assistant = Extract<DraftMessage, { role: "assistant" }>;

/**
 * OpenHands V0 events (flat, or eval `[action, observation]` pairs) → draft messages. Actions become
 * assistant tool calls (consecutive actions of one model response share one message, and that response,
 * repeated on every action and observation, is kept once); observations become tool results tied to
 * their action by `cause` or `tool_call_metadata.tool_call_id`.
 */
export function convertV0Events(history: unknown[], path: string): V0Conversation {
  const out: V0Conversation = { messages: [], events: [], warnings: [] };
  const callIdOfEvent = new Map<string, string | null>();
  const forgotten = new Set<string>();
  let open: { message: Assistant; responseId: string } | undefined;
  let ignored = 0;

  // The call made by the action half of an `[action, observation]` pair, answered by its other half.
  let pairCall: DraftToolCall | undefined;

  for (const { event, at, half } of flatten(history, path)) {
    if (!isRecord(event)) throw new ShapeError(`${at}: expected an event object, got ${kindOf(event)}`);
    const pairedCall = half === 1 ? pairCall : undefined;
    pairCall = undefined;
    if (typeof event.action === "string") {
      const action = event.action;
      if (BOOKKEEPING_ACTIONS.has(action)) continue;
      const args = isRecord(event.args) ? event.args : {};
      if (action === "condensation") {
        out.events.push(condensation(event, args, out.messages.length));
        for (const id of forgottenIds(args)) forgotten.add(id);
        continue;
      }
      if (action === "system" || action === "message") {
        open = undefined;
        out.messages.push(messageOf(event, args, action, out));
        continue;
      }
      const call = callOf(event, args, action, at);
      if (half === 0) pairCall = call;
      if (event.id !== undefined && event.id !== null) callIdOfEvent.set(String(event.id), call.id);
      const responseId = responseIdOf(event);
      if (open && responseId !== undefined && open.responseId === responseId) {
        open.message.tool_calls.push(call);
        const thought = asString(args.thought);
        if (thought && thought !== open.message.content) open.message.content = [open.message.content, thought].filter(Boolean).join("\n");
      } else {
        const message = assistantOf(event, args, call);
        out.messages.push(message);
        open = responseId !== undefined ? { message, responseId } : undefined;
      }
      if (action === "finish") out.finish = finishOf(args);
      continue;
    }
    if (typeof event.observation === "string") {
      if (BOOKKEEPING_OBSERVATIONS.has(event.observation)) continue;
      open = undefined;
      out.messages.push(observationOf(event, callIdOfEvent, pairedCall));
      continue;
    }
    if (Object.keys(event).length > 0) ignored++;
  }
  if (ignored > 0) out.warnings.push({ code: "ignored-events", message: `ignored ${ignored} event(s) that are neither an action nor an observation`, count: ignored });
  if (forgotten.size > 0) {
    for (const message of out.messages) if (message.source_id !== undefined && forgotten.has(message.source_id)) message.in_context = false;
  }
  return out;
}

/** Flat events, or `[[action, observation], …]` pairs (observation may be missing or `{}`). */
function* flatten(history: unknown[], path: string): Generator<{ event: unknown; at: string; half?: number }> {
  for (let i = 0; i < history.length; i++) {
    const item = history[i];
    if (Array.isArray(item)) {
      expect(item.length <= 2, `${path}[${i}]: expected an [action, observation] pair, got ${item.length} elements`);
      for (let j = 0; j < item.length; j++) if (item[j] !== null) yield { event: item[j], at: `${path}[${i}][${j}]`, half: j };
    } else yield { event: item, at: `${path}[${i}]` };
  }
}

function common(event: Record<string, unknown>): { source_id?: string; timestamp?: string } {
  return {
    ...(event.id !== undefined && event.id !== null ? { source_id: String(event.id) } : {}),
    ...(typeof event.timestamp === "string" ? { timestamp: event.timestamp } : {}),
  };
}

function messageOf(event: Record<string, unknown>, args: Record<string, unknown>, action: string, out: V0Conversation): DraftMessage {
  const content = asString(args.content) ?? asString(event.message) ?? "";
  const extraFields = { ...leftovers(event, EVENT_MAPPED), ...leftovers(args, ["content", "tools", "thought"]) };
  const extra = Object.keys(extraFields).length > 0 ? { extra: extraFields } : {};
  if (action === "system") {
    const tools = toolDefinitions(args.tools);
    if (tools) out.tools = tools;
    return { role: "system", content, ...common(event), ...extra };
  }
  if (event.source === "agent") return { role: "assistant", content, reasoning: null, tool_calls: [], ...common(event), ...extra };
  const source = asString(event.source);
  return { role: "user", content, ...(source && source !== "user" ? { source_role: source } : {}), ...common(event), ...extra };
}

function modelResponse(event: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : undefined;
  return meta && isRecord(meta.model_response) ? meta.model_response : undefined;
}

function responseIdOf(event: Record<string, unknown>): string | undefined {
  return asString(modelResponse(event)?.id);
}

function responseMessage(response: Record<string, unknown> | undefined): Record<string, unknown> {
  const choices = response?.choices;
  const choice = Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : {};
  return isRecord(choice.message) ? choice.message : {};
}

/**
 * The call as the model wrote it: the raw arguments from the model response when it is logged, else
 * OpenHands' parsed `args`. Without a tool_call_id the call takes its event id, so `cause` still pairs it.
 */
function callOf(event: Record<string, unknown>, args: Record<string, unknown>, action: string, at: string): DraftToolCall {
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : undefined;
  const toolCallId = asString(meta?.tool_call_id);
  const id = toolCallId ?? (event.id !== undefined && event.id !== null ? `event-${event.id}` : null);
  const name = asString(meta?.function_name) ?? action;
  expect(name !== "", `${at}: the action has no name`);
  const logged = responseMessage(modelResponse(event)).tool_calls;
  const raw = Array.isArray(logged) ? logged.find((c) => isRecord(c) && c.id === toolCallId) : undefined;
  const fn = isRecord(raw) && isRecord(raw.function) ? raw.function : undefined;
  const parsed = fn ? argumentsOf(fn.arguments) : { raw_arguments: null, arguments: without(args, ["thought"]) };
  return { id, name, type: meta ? "function" : "text", ...parsed };
}

function assistantOf(event: Record<string, unknown>, args: Record<string, unknown>, call: DraftToolCall): Assistant {
  const response = modelResponse(event);
  const message = responseMessage(response);
  const thought = asString(args.thought);
  const content = thought || contentToText(message.content) || null;
  const reasoning = readReasoning(message);
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : {};
  // The response is kept once: its choices are this message and its calls; the rest (id, model, usage) stays.
  const kept = {
    ...reasoning.extra,
    ...leftovers(event, EVENT_MAPPED),
    ...(response ? { model_response: without(response, ["choices"]) } : {}),
    ...finishReasonOf(response),
    ...leftovers(meta, ["function_name", "tool_call_id", "model_response"]),
  };
  const model = asString(response?.model);
  return {
    role: "assistant",
    content,
    reasoning: reasoning.text,
    tool_calls: [call],
    ...(model !== undefined ? { model } : {}),
    ...common(event),
    ...(Object.keys(kept).length > 0 ? { extra: kept } : {}),
  };
}

function observationOf(event: Record<string, unknown>, callIdOfEvent: Map<string, string | null>, pairedCall: DraftToolCall | undefined): DraftMessage {
  const type = event.observation as string;
  const meta = isRecord(event.tool_call_metadata) ? event.tool_call_metadata : undefined;
  const byCause = event.cause !== undefined && event.cause !== null ? callIdOfEvent.get(String(event.cause)) : undefined;
  const answers = asString(meta?.tool_call_id) !== undefined || byCause !== undefined || pairedCall !== undefined;
  const callId = asString(meta?.tool_call_id) ?? byCause ?? pairedCall?.id ?? null;
  const content = typeof event.content === "string" ? event.content : contentToText(event.content);
  const extras = isRecord(event.extras) ? event.extras : {};
  const kept = { observation: type, ...leftovers(event, EVENT_MAPPED), ...(Object.keys(extras).length > 0 ? { extras } : {}) };
  if (!answers) {
    // Not an answer to any call (workspace context, an error about a reply): what the model read as a user turn.
    const source = asString(event.source) ?? "environment";
    return { role: "user", content, ...(source !== "user" ? { source_role: source } : {}), ...common(event), extra: kept };
  }
  return {
    role: "tool",
    call_id: callId,
    name: asString(meta?.function_name) ?? null,
    content,
    // A failed or rejected tool; a command's non-zero exit code is its result (kept in extras.metadata).
    is_error: type === "error" || type === "user_rejected",
    ...common(event),
    extra: kept,
  };
}

function finishOf(args: Record<string, unknown>): Pick<Final, "answer" | "reasoning"> {
  const finalThought = asString(args.final_thought);
  const outputs = isRecord(args.outputs) && Object.keys(args.outputs).length > 0 ? args.outputs : undefined;
  const fromOutputs = outputs ? (asString(outputs.content) ?? asString(outputs.answer) ?? JSON.stringify(outputs)) : undefined;
  const thought = asString(args.thought);
  return { answer: finalThought || fromOutputs || null, reasoning: thought || null };
}

function condensation(event: Record<string, unknown>, args: Record<string, unknown>, index: number): TrajectoryEvent {
  return {
    kind: "compaction",
    message_index: index,
    summary: asString(args.summary) ?? null,
    marker: "condensation",
    ...(typeof event.timestamp === "string" ? { timestamp: event.timestamp } : {}),
  };
}

/** `forgotten_event_ids`, or the inclusive range `forgotten_events_start_id`..`forgotten_events_end_id`. */
function forgottenIds(args: Record<string, unknown>): string[] {
  if (Array.isArray(args.forgotten_event_ids)) return args.forgotten_event_ids.map(String);
  const start = args.forgotten_events_start_id;
  const end = args.forgotten_events_end_id;
  if (typeof start !== "number" || typeof end !== "number" || end < start) return [];
  return Array.from({ length: Math.min(end - start + 1, 1_000_000) }, (_, i) => String(start + i));
}

/** The finish reason of the response's first choice, which is otherwise not kept. */
function finishReasonOf(response: Record<string, unknown> | undefined): { finish_reason?: string } {
  const choice = Array.isArray(response?.choices) && isRecord(response.choices[0]) ? response.choices[0] : {};
  return typeof choice.finish_reason === "string" ? { finish_reason: choice.finish_reason } : {};
}
