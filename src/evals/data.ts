import { readLines } from "../io/lines.js";
import { EvalDataError, readDataRows } from "./rows.js";
import type { EvalKind } from "./types.js";

/** The items of official (or saved) data files in file order, stopping after `limit` items. */
export async function* loadItems<Item extends { id: string }>(kind: EvalKind<Item>, files: readonly string[], limit = Number.POSITIVE_INFINITY): AsyncGenerator<Item> {
  let count = 0;
  for (const file of files) {
    if (count >= limit) return;
    for await (const row of readDataRows(file, kind.columns)) {
      yield kind.fromRow(file, row);
      if (++count >= limit) return;
    }
  }
}

/**
 * Responses a user already has: JSONL lines {"id": string, "text": string} (other fields ignored).
 * A line without them, or a repeated id, is an error naming the file and line.
 */
export async function readResponses(file: string): Promise<Map<string, string>> {
  const responses = new Map<string, string>();
  const firstLine = new Map<string, number>();
  for await (const entry of readLines(file)) {
    const where = `${file}: line ${entry.line}`;
    if ("error" in entry) throw new EvalDataError(`${where}: ${entry.detail}`);
    let row: unknown;
    try {
      row = JSON.parse(entry.text);
    } catch (error) {
      throw new EvalDataError(`${where}: invalid JSON: ${(error as Error).message}`);
    }
    const { id, text } = (typeof row === "object" && row !== null ? row : {}) as Record<string, unknown>;
    if (typeof id !== "string" || typeof text !== "string") throw new EvalDataError(`${where}: expected {"id": string, "text": string}`);
    const earlier = firstLine.get(id);
    if (earlier !== undefined) throw new EvalDataError(`${where}: id ${id} already answered on line ${earlier}`);
    firstLine.set(id, entry.line);
    responses.set(id, text);
  }
  return responses;
}
