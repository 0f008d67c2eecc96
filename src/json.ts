/** A JSON object (not null, not an array): the one check every reader of parsed JSON uses before reading fields. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const parsedFrom = new WeakMap<object, string>();

/**
 * JSON.parse(text), remembering the text an object or array came from: a reader that must know whether a
 * value still equals its source text (redaction of tool calls' raw arguments) asks `isParsedFrom` instead
 * of parsing the text again and comparing deeply. Values are never changed in place after parsing; a
 * changed value is a new object, which was not parsed from anything.
 */
export function parseRemembered(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value !== null && typeof value === "object") parsedFrom.set(value, text);
  return value;
}

/** Whether `value` is what `parseRemembered(text)` gave. */
export function isParsedFrom(value: unknown, text: string): boolean {
  return value !== null && typeof value === "object" && parsedFrom.get(value) === text;
}
