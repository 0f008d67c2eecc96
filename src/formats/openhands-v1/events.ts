import type { ImportWarning } from "../../records/import-warning.js";
import type { Final, ToolDefinition, TrajectoryEvent } from "../../records/trajectory.js";
import { argumentsOf } from "../common/openai-messages.js";
import { expect, kindOf } from "../common/rows.js";
import { REASONING_KEYS, readReasoning } from "../common/reasoning.js";
import { asString, contentToText, isRecord } from "../common/text.js";
import { functionCalls, leftovers } from "../common/coding-agents.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

/** Events that steer the conversation but put nothing in front of the model. */
const BOOKKEEPING = new Set([
  "CondensationRequest",
  "PauseEvent",
  "ConversationStateUpdateEvent",
  "LLMCompletionLogEvent",
  "TokenEvent",
  "StreamingDeltaEvent",
]);
const EVENT_BASE = ["kind", "id", "timestamp", "source"];
/** `action` is OpenHands' parse of `tool_call.arguments`: only its kind is kept. */
const ACTION_MAPPED = [...EVENT_BASE, "thought", ...REASONING_KEYS, "action", "tool_name", "tool_call_id", "tool_call"];
const OBSERVATION_MAPPED = [...EVENT_BASE, "observation", "tool_name", "tool_call_id", "action_id"];
/** Where observations keep their text, by kind: `content` parts (current SDK), `output` (bash, 2025), `message` (finish). */
const OBSERVATION_TEXT = ["content", "output", "message", "text", "result"];

type Assistant = Extract<DraftMessage, { role: "assistant" }>;

/**
 * OpenHands V1 SDK events (`kind`-tagged) → draft messages, one event at a time so that a caller can
 * reject a bad event alone. ActionEvents of one LLM response (`llm_response_id`) share one assistant
 * message; ObservationEvents answer them by `tool_call_id` (or `action_id`).
 */
export class V1Conversation {
  readonly messages: DraftMessage[] = [];
  readonly events: TrajectoryEvent[] = [];
  tools: ToolDefinition[] | undefined;
  readonly warnings: ImportWarning[] = [];
  private readonly callIdOfAction = new Map<string, string | null>();
  private readonly forgotten = new Set<string>();
  private readonly unknownKinds = new Map<string, number>();
  private open: { message: Assistant; responseId: string } | undefined;
  private finish: { answer: string | null; reasoning: string | null; message: Assistant } | undefined;

  /** Adds one event; throws (with `at` in the message) when it does not have its kind's shape. */
  add(event: unknown, at: string): void {
    expect(isRecord(event), `${at}: expected an event object, got ${kindOf(event)}`);
    const kind = event.kind;
    expect(typeof kind === "string", `${at}.kind: expected a string, got ${kindOf(kind)}`);
    if (kind !== "ActionEvent") this.open = undefined;
    switch (kind) {
      case "SystemPromptEvent":
        this.systemPrompt(event);
        break;
      case "MessageEvent":
        this.message(event, at);
        break;
      case "ActionEvent":
        this.action(event, at);
        break;
      case "ObservationEvent":
      case "UserRejectObservation":
      case "AgentErrorEvent":
        this.observation(event, kind);
        break;
      case "Condensation":
        this.condensation(event);
        break;
      case "ConversationErrorEvent":
        // The run stopped on an error the model never saw: worth a warning, not a message.
        this.warnings.push({
          code: "agent-error",
          message: `conversation error${typeof event.code === "string" ? ` ${event.code}` : ""}: ${asString(event.detail) ?? "no detail"}`,
          ...(typeof event.code === "string" ? { name: event.code } : {}),
        });
        break;
      case "CondensationSummaryEvent":
        this.events.push({ kind: "summary", message_index: this.messages.length, summary: asString(event.summary) ?? null, marker: "condensation_summary", ...timestampOf(event) });
        break;
      default:
        if (!BOOKKEEPING.has(kind)) this.unknownKinds.set(kind, (this.unknownKinds.get(kind) ?? 0) + 1);
    }
  }

  /** Applies condensations and reports the final answer: a FinishAction when it is the agent's last word. */
  finishUp(): { final?: Pick<Final, "answer" | "reasoning" | "kind"> } {
    for (const [kind, count] of this.unknownKinds) this.warnings.push({ code: "unknown-type", message: `ignored ${count} event(s) of unknown kind ${kind}`, count, name: kind });
    this.unknownKinds.clear();
    for (const message of this.messages) if (message.source_id !== undefined && this.forgotten.has(message.source_id)) message.in_context = false;
    const lastAssistant = [...this.messages].reverse().find((m) => m.role === "assistant");
    if (this.finish === undefined || lastAssistant !== this.finish.message) return {};
    return { final: { answer: this.finish.answer, reasoning: this.finish.reasoning, kind: "submit_call" } };
  }

  private systemPrompt(event: Record<string, unknown>): void {
    const tools = toolDefinitions(event.tools);
    if (tools) this.tools = tools;
    const extra = leftovers(event, [...EVENT_BASE, "system_prompt", "tools"]);
    this.messages.push({ role: "system", content: contentToText(event.system_prompt), ...common(event), ...(extra ? { extra } : {}) });
  }

  private message(event: Record<string, unknown>, at: string): void {
    const llm = event.llm_message;
    expect(isRecord(llm), `${at}.llm_message: expected an object, got ${kindOf(llm)}`);
    const content = contentToText(llm.content);
    const reasoning = readReasoning(llm);
    const extra = { ...leftovers(event, [...EVENT_BASE, "llm_message"]), ...leftovers(llm, ["role", "content", "tool_calls", ...REASONING_KEYS]), ...reasoning.extra };
    const kept = Object.keys(extra).length > 0 ? { extra } : {};
    if (llm.role === "assistant") {
      const calls = functionCalls(llm.tool_calls, `${at}.llm_message.tool_calls`);
      this.messages.push({ role: "assistant", content, reasoning: reasoning.text, tool_calls: calls, ...common(event), ...kept });
    } else if (llm.role === "system") {
      this.messages.push({ role: "system", content, ...common(event), ...kept });
    } else {
      expect(llm.role === "user", `${at}.llm_message.role: expected user, assistant or system, got ${JSON.stringify(llm.role)}`);
      this.messages.push({ role: "user", content, ...common(event), ...kept });
    }
  }

  private action(event: Record<string, unknown>, at: string): void {
    const call = callOf(event, at);
    if (typeof event.id === "string") this.callIdOfAction.set(event.id, call.id);
    const action = isRecord(event.action) ? event.action : {};
    const responseId = asString(event.llm_response_id);
    const details = { ...leftovers(event, ACTION_MAPPED), ...(typeof action.kind === "string" ? { action_kind: action.kind } : {}) };
    let message: Assistant;
    if (this.open && responseId !== undefined && this.open.responseId === responseId) {
      // A parallel call of the same response: the SDK puts the thought on the first action only.
      message = this.open.message;
      message.tool_calls.push(call);
      const grouped = (message.extra?.grouped_events as unknown[] | undefined) ?? [];
      message.extra = { ...message.extra, grouped_events: [...grouped, { ...common(event), ...details }] };
    } else {
      const thought = contentToText(event.thought);
      const reasoning = readReasoning(event);
      const extra = { ...reasoning.extra, ...details };
      message = {
        role: "assistant",
        content: thought === "" ? null : thought,
        reasoning: reasoning.text,
        tool_calls: [call],
        ...common(event),
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
      this.messages.push(message);
      this.open = responseId !== undefined ? { message, responseId } : undefined;
    }
    if (action.kind === "FinishAction") {
      this.finish = { answer: asString(action.message) ?? null, reasoning: message.content ?? message.reasoning, message };
    }
  }

  private observation(event: Record<string, unknown>, kind: string): void {
    const observation = isRecord(event.observation) ? event.observation : {};
    const actionId = asString(event.action_id);
    const byAction = actionId !== undefined ? this.callIdOfAction.get(actionId) : undefined;
    const callId = asString(event.tool_call_id) ?? byAction ?? null;
    let content: string;
    let isError: boolean;
    let extra: Record<string, unknown> | undefined;
    if (kind === "ObservationEvent") {
      const textKey = OBSERVATION_TEXT.find((key) => observation[key] !== undefined && observation[key] !== null);
      content = textKey === undefined ? "" : contentToText(observation[textKey]);
      // The tool failed to run; a command's exit code is its result and stays in extra.
      isError = observation.is_error === true || observation.error === true || (typeof observation.error === "string" && observation.error !== "");
      const flags = ["is_error", "error"].filter((key) => typeof observation[key] === "boolean");
      const rest = leftovers(observation, ["kind", ...flags, ...(textKey ? [textKey] : [])]);
      extra = {
        ...leftovers(event, OBSERVATION_MAPPED),
        ...(typeof observation.kind === "string" ? { observation_kind: observation.kind } : {}),
        ...(rest ? { observation: rest } : {}),
      };
    } else {
      const text = kind === "AgentErrorEvent" ? event.error : event.rejection_reason;
      content = contentToText(text);
      isError = true;
      extra = { event_kind: kind, ...leftovers(event, [...OBSERVATION_MAPPED, "error", "rejection_reason"]) };
    }
    this.messages.push({
      role: "tool",
      call_id: callId,
      name: asString(event.tool_name) ?? null,
      content,
      is_error: isError,
      ...common(event),
      ...(extra && Object.keys(extra).length > 0 ? { extra } : {}),
    });
  }

  private condensation(event: Record<string, unknown>): void {
    if (Array.isArray(event.forgotten_event_ids)) for (const id of event.forgotten_event_ids) this.forgotten.add(String(id));
    this.events.push({ kind: "compaction", message_index: this.messages.length, summary: asString(event.summary) ?? null, marker: "condensation", ...timestampOf(event) });
  }
}

function common(event: Record<string, unknown>): { source_id?: string; timestamp?: string } {
  return { ...(typeof event.id === "string" ? { source_id: event.id } : {}), ...timestampOf(event) };
}

function timestampOf(event: Record<string, unknown>): { timestamp?: string } {
  return typeof event.timestamp === "string" ? { timestamp: event.timestamp } : {};
}

/** `tool_call: {id, name, arguments}` (or LiteLLM's `{id, function: {name, arguments}}`), else `tool_name` + the parsed action. */
function callOf(event: Record<string, unknown>, at: string): DraftToolCall {
  const toolCall = isRecord(event.tool_call) ? event.tool_call : undefined;
  const fn = toolCall && isRecord(toolCall.function) ? toolCall.function : toolCall;
  const name = asString(fn?.name) ?? asString(event.tool_name);
  expect(name !== undefined, `${at}: an ActionEvent needs tool_call.name or tool_name`);
  const id = asString(toolCall?.id) ?? asString(event.tool_call_id) ?? null;
  if (fn && fn.arguments !== undefined) return { id, name, type: "function", ...argumentsOf(fn.arguments) };
  return { id, name, type: "function", raw_arguments: null, arguments: isRecord(event.action) ? event.action : null };
}

/** SDK tool specs: `{title | name, description, parameters?, annotations, kind}`. */
function toolDefinitions(value: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isRecord).map((tool) => {
    const annotations = isRecord(tool.annotations) ? tool.annotations : {};
    const name = asString(tool.name) ?? asString(tool.title) ?? asString(annotations.title) ?? asString(tool.kind) ?? "";
    const parameters = tool.parameters ?? tool.input_schema;
    return {
      name,
      ...(typeof tool.description === "string" ? { description: tool.description } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
    };
  });
}
