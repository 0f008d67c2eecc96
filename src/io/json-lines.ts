import { type FileStart, type RawLine, readLines } from "./lines.js";

/** A JSONL line as a reader sees it: parsed, or why it could not be (with the line number either way). */
export type JsonLine = { line: number; value: unknown } | { line: number; error: "invalid-json" | "invalid-utf8" | "line-too-long"; detail: string };

/**
 * The lines of a JSONL file (gzip or not), each parsed or rejected with its reason; lines over `maxLineBytes` are rejected unread.
 * From `start` (read already), then the rest of the file.
 */
export async function* readJsonLines(file: string, maxLineBytes: number, start?: FileStart): AsyncGenerator<JsonLine> {
  for await (const raw of readLines(file, maxLineBytes, start)) yield toJsonLine(raw);
}

export function toJsonLine(raw: RawLine): JsonLine {
  return "error" in raw ? { line: raw.line, error: raw.error, detail: raw.detail } : parseLine(raw.line, raw.text);
}

function parseLine(line: number, text: string): JsonLine {
  try {
    return { line, value: JSON.parse(text) };
  } catch (error) {
    return { line, error: "invalid-json", detail: `invalid JSON: ${(error as Error).message}` };
  }
}
