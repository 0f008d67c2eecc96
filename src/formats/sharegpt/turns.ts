import { expect, kindOf } from "../common/rows.js";
import { isRecord, without } from "../common/text.js";

/** One turn of a "conversations" row, whichever spelling it used ({from, value} or {role, content}). */
export interface Turn {
  speaker: string;
  text: string;
  /** Where the turn is in the row, for error messages: `conversations[3]`. */
  path: string;
  /** The turn's other fields (`loss`, `weight`, …). */
  extra?: Record<string, unknown>;
}

/** Keys that hold the turn list, in the order they are looked for. */
const LIST_KEYS = ["conversations", "conversation", "messages"] as const;

/** The row's turn list and its key, when the row has one. */
export function turnList(row: Record<string, unknown>): { key: string; list: unknown[] } | undefined {
  for (const key of LIST_KEYS) if (Array.isArray(row[key])) return { key, list: row[key] as unknown[] };
  return undefined;
}

/** The speakers of every turn, or undefined when some turn is not a `{from|role: string, …}` object. */
export function speakersOf(list: unknown[]): string[] | undefined {
  const speakers: string[] = [];
  for (const turn of list) {
    if (!isRecord(turn)) return undefined;
    const speaker = turn.from ?? turn.role;
    if (typeof speaker !== "string") return undefined;
    speakers.push(speaker);
  }
  return speakers;
}

/** Reads and checks every turn; a turn that is not `{from|role: string, value|content: string}` rejects the row. */
export function readTurns(list: unknown[], key: string): Turn[] {
  return list.map((raw, i) => {
    const path = `${key}[${i}]`;
    expect(isRecord(raw), `${path}: expected a turn object, got ${got(raw)}`);
    const speakerKey = "from" in raw ? "from" : "role";
    const textKey = "value" in raw ? "value" : "content";
    const speaker = raw[speakerKey];
    expect(typeof speaker === "string", `${path}.${speakerKey}: expected a string, got ${got(speaker)}`);
    const text = raw[textKey];
    expect(text === null || typeof text === "string", `${path}.${textKey}: expected a string, got ${got(text)}`);
    const extra = without(raw, [speakerKey, textKey]);
    return { speaker, text: text ?? "", path, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
  });
}

/** What a value is, for error messages; a missing one is said plainly. */
export function got(value: unknown): string {
  return value === undefined ? "nothing" : kindOf(value);
}
