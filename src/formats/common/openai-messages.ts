import type { DraftMessage, DraftToolCall, DropRule } from "../types.js";
import { expect, ShapeError } from "./rows.js";
import { readReasoning } from "./reasoning.js";
import { asString, contentToText, isRecord, parseArguments, without } from "./text.js";

const THINK = /^\s*<think>([\s\S]*?)<\/think>\s*/;

/** For the lossless audit: the <think> tags `splitReasoning` takes off (the text between them is the reasoning). */
export const THINK_MARKUP: DropRule = { path: "/**", reason: "structure", note: "<think> tags around reasoning, parsed into the reasoning", markup: /<\/?think>/ };

/**
 * Reasoning carried in an assistant message: its reasoning fields (see `readReasoning`: the opaque parts
 * come back in `extra`), else a leading <think> block of the text.
 */
export function splitReasoning(
  message: Record<string, unknown>,
  text: string,
): { content: string; reasoning: string | null; extra: Record<string, unknown>; keys: string[] } {
  const fields = readReasoning(message);
  if (fields.text !== null) return { content: text, reasoning: fields.text, extra: fields.extra, keys: fields.keys };
  const think = THINK.exec(text);
  if (think) return { content: text.slice(think[0].length), reasoning: think[1]!.trim(), extra: fields.extra, keys: fields.keys };
  return { content: text, reasoning: null, extra: fields.extra, keys: fields.keys };
}

const MAPPED_KEYS = ["role", "content", "tool_calls", "tool_call_id"];

/**
 * OpenAI Chat Completions messages → draft messages: `tool_calls` (function and custom) and legacy
 * `function_call`, `role: tool` and legacy `role: function`, `developer` as system, reasoning fields.
 * `path` prefixes error messages (e.g. `traj`).
 */
export function convertOpenAIMessages(messages: unknown, path: string): DraftMessage[] {
  expect(Array.isArray(messages), `${path}: expected an array of messages`);
  return messages.map((raw, i) => convertOne(raw, `${path}[${i}]`));
}

function convertOne(raw: unknown, path: string): DraftMessage {
  expect(isRecord(raw), `${path}: expected a message object`);
  const role = raw.role;
  const text = contentToText(withRefusalText(raw.content));
  switch (role) {
    case "system":
    case "developer":
      return { role: "system", content: text, ...(role === "developer" ? { source_role: role } : {}), ...extraOf(raw) };
    case "user":
      return { role: "user", content: text, ...extraOf(raw) };
    case "assistant": {
      const parts = typedParts(raw.content, `${path}.content`);
      const { content, reasoning, extra, keys } = splitReasoning(raw, parts ? parts.text : text);
      const legacy = legacyFunctionCall(raw.function_call);
      const rest = extraOf(raw, [...keys, ...(legacy ? ["function_call"] : [])]).extra;
      const merged = { ...extra, ...rest };
      return {
        role: "assistant",
        content: raw.content === null || raw.content === undefined || (parts && parts.text === "" && parts.calls.length > 0) ? null : content,
        reasoning: joinReasoning(parts?.reasoning ?? null, reasoning),
        tool_calls: [...toolCalls(raw, legacy, path), ...(parts?.calls ?? [])],
        ...(Object.keys(merged).length > 0 ? { extra: merged } : {}),
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
        ...extraOf(raw, ["name"]),
      };
    default:
      throw new ShapeError(`${path}.role: expected system, developer, user, assistant, tool or function, got ${JSON.stringify(role)}`);
  }
}

/** Source fields with no slot in the draft (null ones carry nothing); `alsoMapped` names the fields this role did map. */
function extraOf(raw: Record<string, unknown>, alsoMapped: string[] = []): { extra?: Record<string, unknown> } {
  const rest = without(raw, [...MAPPED_KEYS, ...alsoMapped]);
  for (const [key, value] of Object.entries(rest)) if (value === null) delete rest[key];
  return Object.keys(rest).length > 0 ? { extra: rest } : {};
}

/** Reasoning from content parts and from the message's fields, once each. */
function joinReasoning(fromParts: string | null, fromFields: string | null): string | null {
  if (fromParts === null || fromFields?.includes(fromParts)) return fromFields;
  return fromFields === null ? fromParts : `${fromParts}\n\n${fromFields}`;
}

const REASONING_PARTS = new Set(["reasoning", "thinking"]);
const CALL_PARTS = new Set(["tool_call", "function_call"]);

/**
 * Assistant content as typed parts that hold more than text: reasoning parts (`{type:'reasoning', value}`,
 * `thinking`) and tool-call parts (`{type:'tool_call', value:'{"name":…,"arguments":…}'}`), as LLaMA-Factory's
 * and other SFT sets write them. Undefined when the content has no such part (plain text parts stay text).
 */
function typedParts(content: unknown, path: string): { text: string; reasoning: string | null; calls: DraftToolCall[] } | undefined {
  if (!Array.isArray(content)) return undefined;
  const typeOf = (part: unknown) => (isRecord(part) && typeof part.type === "string" ? part.type : "");
  if (!content.some((part) => REASONING_PARTS.has(typeOf(part)) || CALL_PARTS.has(typeOf(part)))) return undefined;
  const texts: unknown[] = [];
  const reasoning: string[] = [];
  const calls: DraftToolCall[] = [];
  content.forEach((part, i) => {
    const type = typeOf(part);
    if (REASONING_PARTS.has(type)) {
      const text = contentToText(isRecord(part) && typeof part.thinking === "string" ? part.thinking : part);
      if (text.trim() !== "") reasoning.push(text);
    } else if (CALL_PARTS.has(type)) calls.push(...partCalls(part as Record<string, unknown>, `${path}[${i}]`));
    else texts.push(part);
  });
  return { text: contentToText(withRefusalText(texts)), reasoning: reasoning.length > 0 ? reasoning.join("\n\n") : null, calls };
}

/** A tool-call part: its `value` (or `text`) is JSON `{name, arguments}` or a list of them; or the part names the call itself. */
function partCalls(part: Record<string, unknown>, path: string): DraftToolCall[] {
  const body = part.value ?? part.text ?? part.function ?? part;
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch (error) {
      throw new ShapeError(`${path}: a ${String(part.type)} part must hold JSON {name, arguments}: ${(error as Error).message}`);
    }
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((call, k) => {
    expect(isRecord(call) && typeof call.name === "string", `${path}${Array.isArray(value) ? ` call ${k}` : ""}: expected {name, arguments}`);
    const id = asString(call.id) ?? asString(part.id) ?? null;
    return { id, name: call.name, type: "function", ...argumentsOf(call.arguments) };
  });
}

/** `{type:'refusal', refusal}` parts carry their text under `refusal`, which the generic part reader does not know. */
function withRefusalText(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content.map((part) =>
    isRecord(part) && part.type === "refusal" && typeof part.refusal === "string" ? { type: "text", text: part.refusal } : part,
  );
}

function toolCalls(message: Record<string, unknown>, legacy: Record<string, unknown> | undefined, path: string): DraftToolCall[] {
  const calls: DraftToolCall[] = [];
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    expect(Array.isArray(message.tool_calls), `${path}.tool_calls: expected an array`);
    message.tool_calls.forEach((call, i) => {
      expect(isRecord(call), `${path}.tool_calls[${i}]: expected an object`);
      calls.push(call.type === "custom" && isRecord(call.custom) ? customCall(call, `${path}.tool_calls[${i}]`) : functionCall(call, `${path}.tool_calls[${i}]`));
    });
  }
  if (legacy !== undefined) {
    const name = asString(legacy.name);
    expect(name !== undefined, `${path}.function_call.name: expected a string`);
    calls.push({ id: null, name, type: "function", ...argumentsOf(legacy.arguments) });
  }
  return calls;
}

/** The deprecated `function_call`: an object, or that object as a JSON string; anything else stays in extra. */
function legacyFunctionCall(value: unknown): Record<string, unknown> | undefined {
  if (isRecord(value)) return value;
  if (typeof value !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function functionCall(call: Record<string, unknown>, path: string): DraftToolCall {
  const fn = isRecord(call.function) ? call.function : call;
  const name = asString(fn.name);
  expect(name !== undefined, `${path}.function.name: expected a string`);
  return { id: asString(call.id) ?? null, name, type: "function", ...argumentsOf(fn.arguments) };
}

/** `{type:'custom', custom:{name, input}}`: free-form tools whose input is plain text, not JSON. */
function customCall(call: Record<string, unknown>, path: string): DraftToolCall {
  const custom = call.custom as Record<string, unknown>;
  const name = asString(custom.name);
  expect(name !== undefined, `${path}.custom.name: expected a string`);
  const input = custom.input;
  expect(input === undefined || typeof input === "string", `${path}.custom.input: expected a string`);
  return { id: asString(call.id) ?? null, name, type: "custom", raw_arguments: input ?? "", arguments: null };
}

/** Arguments as a string are kept verbatim and parsed; as an object they are kept with no raw text. */
export function argumentsOf(value: unknown): Pick<DraftToolCall, "raw_arguments" | "arguments" | "arguments_error"> {
  if (typeof value === "string") return parseArguments(value);
  return { raw_arguments: null, arguments: value ?? null };
}
