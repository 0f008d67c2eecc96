import { isRecord } from "../json.js";
import type { Message, ToolCall, ToolDefinition, Trajectory } from "../records/trajectory.js";
import type { TemplateMessage } from "../tokenize/types.js";
import type { ReasoningMode } from "./rows.js";

/**
 * Which assistant turns are trained: `assistant` every one, `last` the last one, `final` the final
 * answer only (the last assistant turn without tool calls), `none` every token of the conversation.
 */
export const MASK_MODES = ["assistant", "last", "final", "none"] as const;
export type MaskMode = (typeof MASK_MODES)[number];

/** A conversation as chat templates and trainers read it (OpenAI shape), with which turns are trained. */
export interface SftMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  reasoning_content?: string;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
}

export interface SftConversation {
  messages: SftMessage[];
  /** Per message: is its text trained (assistant turns only, unless mask `none`). */
  train: boolean[];
  /** Tool JSON Schemas in OpenAI's function shape: the trajectory's, else reconstructed from its calls. */
  tools: Record<string, unknown>[];
  toolsReconstructed: boolean;
  /** Mask `none`: every token is trained, template markup included. */
  trainEverything: boolean;
}

/**
 * A trajectory as a multi-turn conversation. Steps copied from an earlier trajectory (ATIF
 * `is_copied_context`) stay as context but are never trained; call arguments keep the exact text the
 * model wrote (`raw_arguments`) where the log has it.
 */
export function sftConversation(t: Trajectory, mask: MaskMode): SftConversation {
  const messages = t.messages.map(toSftMessage);
  const trainable = t.messages.map((m) => m.role === "assistant" && !copied(m));
  const assistants = trainable.flatMap((ok, i) => (ok ? [i] : []));
  const finalIndex = [...assistants].reverse().find((i) => (t.messages[i] as Extract<Message, { role: "assistant" }>).tool_calls.length === 0);
  const train = t.messages.map((m, i) => {
    if (mask === "none") return true;
    if (!trainable[i]) return false;
    if (mask === "assistant") return true;
    if (mask === "last") return i === assistants.at(-1);
    return i === finalIndex;
  });
  const reconstructed = t.tools === undefined || t.tools.length === 0;
  return { messages, train, trainEverything: mask === "none", tools: reconstructed ? toolsFromCalls(t) : t.tools!.map(toolDefinition), toolsReconstructed: reconstructed && t.messages.some((m) => m.role === "assistant" && m.tool_calls.length > 0) };
}

function copied(message: Message): boolean {
  return isRecord(message.extra?.atif) && message.extra.atif.is_copied_context === true;
}

function toSftMessage(m: Message): SftMessage {
  switch (m.role) {
    case "system":
    case "user":
      return { role: m.role, content: m.content };
    case "tool":
      return { role: "tool", content: m.content, ...(m.call_id !== null ? { tool_call_id: m.call_id } : {}), ...(m.name !== null ? { name: m.name } : {}) };
    case "assistant":
      return {
        role: "assistant",
        content: m.content ?? "",
        ...(m.reasoning !== null ? { reasoning_content: m.reasoning } : {}),
        ...(m.tool_calls.length > 0 ? { tool_calls: m.tool_calls.map(toolCall) } : {}),
      };
  }
}

/** The exact argument text of the log when there is one, else the parsed value as JSON. */
export function argumentsText(call: ToolCall): string {
  return call.raw_arguments ?? (typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}));
}

function toolCall(call: ToolCall): NonNullable<SftMessage["tool_calls"]>[number] {
  return { id: call.id, type: "function", function: { name: call.name, arguments: argumentsText(call) } };
}

/**
 * An acc tool definition as OpenAI's function-calling schema, the shape chat templates read and ATIF's
 * `tool_definitions` use (here, not in atif.ts: the SFT targets need it without loading ATIF's schemas).
 */
export function toolDefinition(tool: ToolDefinition): Record<string, unknown> {
  const fn = { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}) };
  return { type: "function", function: fn, ...(tool.extra ?? {}) };
}

/** Tools the log did not list, rebuilt from the calls: each name with the argument keys and JSON types seen. */
function toolsFromCalls(t: Trajectory): Record<string, unknown>[] {
  const seen = new Map<string, Map<string, Set<string>>>();
  for (const m of t.messages) {
    if (m.role !== "assistant") continue;
    for (const call of m.tool_calls) {
      const properties = seen.get(call.name) ?? new Map<string, Set<string>>();
      seen.set(call.name, properties);
      if (isRecord(call.arguments)) for (const [key, value] of Object.entries(call.arguments)) (properties.get(key) ?? properties.set(key, new Set()).get(key)!).add(jsonType(value));
    }
  }
  return [...seen].map(([name, properties]) => ({
    type: "function",
    function: {
      name,
      parameters: {
        type: "object",
        properties: Object.fromEntries([...properties].map(([key, types]) => [key, types.size === 1 ? { type: [...types][0] } : { type: [...types].sort() }])),
      },
    },
  }));
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Messages for a trainer's rows: reasoning as a field, inside `<think>`, or left out; arguments parsed where `parsed`. */
export function rowMessages(conversation: SftConversation, reasoning: ReasoningMode, parsedArguments: boolean): Record<string, unknown>[] {
  return conversation.messages.map((m) => {
    const { reasoning_content, tool_calls, ...rest } = m;
    const out: Record<string, unknown> = { ...rest };
    if (reasoning_content !== undefined && reasoning === "field") out.reasoning_content = reasoning_content;
    if (reasoning_content !== undefined && reasoning === "think") out.content = `<think>\n${reasoning_content}\n</think>\n\n${m.content}`;
    if (tool_calls) out.tool_calls = tool_calls.map((c) => (parsedArguments ? { ...c, function: { name: c.function.name, arguments: parseOr(c.function.arguments) } } : c));
    return out;
  });
}

/** The JSON value of an argument text, or the text itself when it is not JSON. */
export function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Messages as the chat template reads them (reasoning as `reasoning_content`, arguments as the model's text). */
export function templateMessages(conversation: SftConversation): TemplateMessage[] {
  return conversation.messages as TemplateMessage[];
}
