import type { DraftMessage, DraftToolCall } from "../types.js";
import { expect } from "./rows.js";
import { asString, contentToText, isRecord, parseArguments, without } from "./text.js";

const THINK = /^\s*<think>([\s\S]*?)<\/think>\s*/;

/** Reasoning carried in an assistant message: `reasoning_content`, vLLM's `reasoning`, or a leading <think> block. */
export function splitReasoning(message: Record<string, unknown>, text: string): { content: string; reasoning: string | null } {
  const field = asString(message.reasoning_content) ?? asString(message.reasoning);
  if (field !== undefined) return { content: text, reasoning: field };
  const think = THINK.exec(text);
  if (think) return { content: text.slice(think[0].length), reasoning: think[1]!.trim() };
  return { content: text, reasoning: null };
}

const KNOWN_KEYS = ["role", "content", "tool_calls", "function_call", "tool_call_id", "name", "reasoning_content", "reasoning"];

/**
 * OpenAI Chat Completions messages → draft messages: `tool_calls` and legacy `function_call`,
 * `role: tool` and legacy `role: function`, `developer` as system, reasoning fields.
 * `path` prefixes error messages (e.g. `traj`).
 */
export function convertOpenAIMessages(messages: unknown, path: string): DraftMessage[] {
  expect(Array.isArray(messages), `${path}: expected an array of messages`);
  return messages.map((raw, i) => convertOne(raw, `${path}[${i}]`));
}

function convertOne(raw: unknown, path: string): DraftMessage {
  expect(isRecord(raw), `${path}: expected a message object`);
  const role = raw.role;
  const extraFields = without(raw, KNOWN_KEYS);
  const extra = Object.keys(extraFields).length > 0 ? { extra: extraFields } : {};
  const text = contentToText(raw.content);
  switch (role) {
    case "system":
    case "developer":
      return { role: "system", content: text, ...(role === "developer" ? { source_role: role } : {}), ...extra };
    case "user":
      return { role: "user", content: text, ...extra };
    case "assistant": {
      const { content, reasoning } = splitReasoning(raw, text);
      return {
        role: "assistant",
        content: raw.content === null || raw.content === undefined ? null : content,
        reasoning,
        tool_calls: toolCalls(raw, path),
        ...extra,
      };
    }
    case "tool":
    case "function":
      return {
        role: "tool",
        call_id: asString(raw.tool_call_id) ?? null,
        name: asString(raw.name) ?? null,
        content: text,
        is_error: false,
        ...(role === "function" ? { source_role: role } : {}),
        ...extra,
      };
    default:
      throw new Error(`${path}.role: expected system, developer, user, assistant, tool or function, got ${JSON.stringify(role)}`);
  }
}

function toolCalls(message: Record<string, unknown>, path: string): DraftToolCall[] {
  const calls: DraftToolCall[] = [];
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    expect(Array.isArray(message.tool_calls), `${path}.tool_calls: expected an array`);
    message.tool_calls.forEach((call, i) => {
      expect(isRecord(call), `${path}.tool_calls[${i}]: expected an object`);
      const fn = isRecord(call.function) ? call.function : call;
      const name = asString(fn.name);
      expect(name !== undefined, `${path}.tool_calls[${i}].function.name: expected a string`);
      calls.push({ id: asString(call.id) ?? null, name, type: "function", ...argumentsOf(fn.arguments) });
    });
  }
  if (isRecord(message.function_call)) {
    const name = asString(message.function_call.name);
    expect(name !== undefined, `${path}.function_call.name: expected a string`);
    calls.push({ id: null, name, type: "function", ...argumentsOf(message.function_call.arguments) });
  }
  return calls;
}

/** Arguments as a string are kept verbatim and parsed; as an object they are kept with no raw text. */
export function argumentsOf(value: unknown): Pick<DraftToolCall, "raw_arguments" | "arguments" | "arguments_error"> {
  if (typeof value === "string") return parseArguments(value);
  return { raw_arguments: null, arguments: value ?? null };
}
