import { parseRemembered } from "../../json.js";
// Terminal noise that agents' shells leave in observations: CSI/OSC sequences, bracketed paste, bare ESC codes.
const ANSI_PATTERN =
  /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes("\u001b") || text.includes("\u009b") ? text.replace(ANSI_PATTERN, "") : text;
}

/** Parsed tool-call arguments that keep the exact source text. */
export function parseArguments(raw: string): { raw_arguments: string; arguments: unknown; arguments_error?: string } {
  try {
    return { raw_arguments: raw, arguments: parseRemembered(raw) };
  } catch (error) {
    return { raw_arguments: raw, arguments: null, arguments_error: (error as Error).message };
  }
}

/**
 * Text of a message content that may be a string, an array of parts ({type:'text', text} and the like)
 * or something else; non-text parts become a short placeholder so nothing silently vanishes.
 */
export function contentToText(content: unknown): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map(partToText).filter((s) => s.length > 0).join("\n");
  if (typeof content === "object") return partToText(content);
  return String(content);
}

function partToText(part: unknown): string {
  if (typeof part === "string") return part;
  if (part === null || typeof part !== "object") return part === undefined ? "" : String(part);
  const p = part as Record<string, unknown>;
  for (const key of ["text", "content", "output", "value"]) {
    const value = p[key];
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return contentToText(value);
  }
  const type = typeof p.type === "string" ? p.type : "part";
  if (type.includes("image")) return "[image]";
  return `[${type}]`;
}

/** Importers take it from here with the other text helpers; it is defined once, in src/json.ts. */
export { isRecord } from "../../json.js";

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `value` with the listed keys removed, for keeping unmapped source fields under `extra`. */
export function without(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (keys.includes(key)) continue;
    // a parsed "__proto__" key stays a field (an assignment would set the object's prototype and lose it)
    if (key === "__proto__") Object.defineProperty(out, key, { value: value[key], enumerable: true, writable: true, configurable: true });
    else out[key] = value[key];
  }
  return out;
}

/** Adds `value` to the list under `extra[key]` (made when missing). */
export function appendTo(extra: Record<string, unknown>, key: string, value: unknown): void {
  const list = Array.isArray(extra[key]) ? (extra[key] as unknown[]) : [];
  extra[key] = [...list, value];
}
