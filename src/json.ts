/** A JSON object (not null, not an array): the one check every reader of parsed JSON uses before reading fields. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
