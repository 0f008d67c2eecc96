import { isRecord } from "./text.js";

/** The message keys that hold reasoning, in the order their text is preferred. */
export const REASONING_KEYS = ["reasoning_content", "reasoning", "reasoning_details", "thinking_blocks", "responses_reasoning_item"] as const;

export interface Reasoning {
  /** The readable reasoning, once (null when there is none). */
  text: string | null;
  /** What else the reasoning fields hold and a trajectory keeps: signatures, encrypted data, a second, different text. */
  extra: Record<string, unknown>;
  /** The reasoning keys the message had; they are read here, so callers leave them out of `extra`. */
  keys: string[];
}

/**
 * The reasoning of an OpenAI-style assistant message in every spelling providers and proxies use:
 * `reasoning_content` (DeepSeek, vLLM, LiteLLM), `reasoning` (OpenRouter, vLLM), `reasoning_details`
 * (OpenRouter: `reasoning.text`, `reasoning.summary`, `reasoning.encrypted`), `thinking_blocks` (LiteLLM for
 * Anthropic: `thinking` with its `signature`, `redacted_thinking`) and `responses_reasoning_item` (a Responses
 * API reasoning item, as OpenHands keeps it).
 *
 * The first readable text becomes the reasoning. The other fields are kept under `extra` without the texts
 * the reasoning already holds: what remains (signatures, encrypted blobs, formats) is opaque, but a provider
 * needs it back to continue the conversation. A second text that differs is kept whole.
 */
export function readReasoning(message: Record<string, unknown>): Reasoning {
  const keys = REASONING_KEYS.filter((key) => message[key] !== undefined && message[key] !== null);
  let text: string | null = null;
  const extra: Record<string, unknown> = {};
  for (const key of keys) {
    const value = message[key];
    const own = textOf(key, value);
    if (text === null && own !== null) {
      text = own;
      const rest = withoutTexts(key, value, own);
      if (rest !== undefined) extra[key] = rest;
      continue;
    }
    const rest = own !== null && text !== null && !text.includes(own) ? value : withoutTexts(key, value, text ?? "");
    if (rest !== undefined) extra[key] = rest;
  }
  return { text, extra, keys };
}

/** The readable text a reasoning field holds, or null. */
function textOf(key: string, value: unknown): string | null {
  if (typeof value === "string") return value.trim() === "" ? null : value;
  const texts = readableParts(key, value).map((part) => part.text);
  return texts.length > 0 ? texts.join("\n\n") : null;
}

/** Where the readable text sits in a structured reasoning field: the item, the key, the text. */
function readableParts(key: string, value: unknown): { item: Record<string, unknown>; field: string; text: string }[] {
  const parts: { item: Record<string, unknown>; field: string; text: string }[] = [];
  const add = (item: Record<string, unknown>, field: string) => {
    const text = item[field];
    if (typeof text === "string" && text.trim() !== "") parts.push({ item, field, text });
  };
  if (key === "reasoning_details" && Array.isArray(value)) {
    for (const item of value) {
      if (!isRecord(item)) continue;
      if (item.type === "reasoning.text") add(item, "text");
      else if (item.type === "reasoning.summary") add(item, "summary");
    }
  } else if (key === "thinking_blocks" && Array.isArray(value)) {
    for (const item of value) if (isRecord(item) && item.type !== "redacted_thinking") add(item, "thinking");
  } else if (key === "responses_reasoning_item" && isRecord(value)) {
    for (const list of [value.content, value.summary]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) if (isRecord(item)) add(item, "text");
      if (parts.length > 0) break;
    }
  }
  return parts;
}

/** The field with the texts `kept` already holds taken out; undefined when nothing else is left. */
function withoutTexts(key: string, value: unknown, kept: string): unknown {
  if (typeof value === "string") return kept.includes(value) || value.trim() === "" ? undefined : value;
  if (Array.isArray(value) && value.length === 0) return undefined;
  const parts = readableParts(key, value);
  if (parts.length === 0) return value;
  const cut = new Map<Record<string, unknown>, string>();
  for (const part of parts) if (kept.includes(part.text)) cut.set(part.item, part.field);
  const strip = (item: unknown): unknown => {
    if (!isRecord(item)) return item;
    const field = cut.get(item);
    if (field !== undefined) {
      const { [field]: _, ...rest } = item;
      return rest;
    }
    // A Responses item's summary/content lists hold the text one level down.
    if (Array.isArray(item.summary) || Array.isArray(item.content)) {
      return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, Array.isArray(v) ? v.map(strip) : v]));
    }
    return item;
  };
  return Array.isArray(value) ? value.map(strip) : strip(value);
}
