import { kindOf } from "../common/rows.js";
import { isRecord } from "../common/text.js";

/** The `type`s of a rollout line's envelope `{timestamp, type, payload}` (Codex ≥ ~0.45). */
export const ENVELOPE_TYPES = new Set(["session_meta", "response_item", "event_msg", "turn_context", "compacted"]);

/** One rollout line, whichever layout it was written in. */
export type RolloutLine =
  | { kind: "session_meta" | "response_item" | "event_msg" | "turn_context" | "compacted"; payload: Record<string, unknown>; timestamp?: string }
  | { kind: "skip"; label: string }
  | { kind: "invalid"; reason: string };

/**
 * Reads a line of either layout. The envelope layout wraps everything in `{timestamp, type, payload}`;
 * the older layout (Codex ≤ ~0.34) writes a bare meta object first (`{id, timestamp, instructions, git}`),
 * then bare response items and `{"record_type":"state"}` lines.
 */
export function readRolloutLine(value: unknown): RolloutLine {
  if (!isRecord(value)) return { kind: "invalid", reason: `expected a JSON object, got ${kindOf(value)}` };
  const timestamp = typeof value.timestamp === "string" ? { timestamp: value.timestamp } : {};
  if ("payload" in value && typeof value.type === "string") {
    if (!ENVELOPE_TYPES.has(value.type)) return { kind: "skip", label: value.type };
    if (!isRecord(value.payload)) return { kind: "invalid", reason: `payload: expected an object, got ${kindOf(value.payload)}` };
    return { kind: value.type as Extract<RolloutLine, { payload: unknown }>["kind"], payload: value.payload, ...timestamp };
  }
  if (typeof value.record_type === "string") return { kind: "skip", label: value.record_type };
  if (typeof value.type === "string") return { kind: "response_item", payload: value };
  if (isOlderMeta(value)) return { kind: "session_meta", payload: value, ...timestamp };
  return { kind: "invalid", reason: "not a Codex rollout line: expected {timestamp, type, payload}, a response item or the session meta" };
}

/** The first line of the older layout: the session meta with no `type`. */
export function isOlderMeta(value: Record<string, unknown>): boolean {
  return !("type" in value) && typeof value.id === "string" && typeof value.timestamp === "string" && ("instructions" in value || "git" in value);
}
