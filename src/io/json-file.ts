import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { formatProblems, validate } from "../records/validate.js";

export type JsonRead<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A small JSON file acc wrote, read back (today a shard's manifest, for acc merge): parsed and checked
 * against a lenient schema of the fields the reader uses, in place of a `JSON.parse(…) as T` that trusts
 * whatever the file holds. Checkpoints, output markers and mined manifests are still read by hand. Files only: records (JSONL) and
 * the wire's hot paths have their own readers (readJsonLines, validateFast, src/llm/response.ts).
 * A missing file, text that is not JSON and a value of another shape each give the reason, naming the file.
 */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>): Promise<JsonRead<T>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return { ok: false, reason: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${path}: invalid JSON: ${(error as Error).message}` };
  }
  const checked = validate(schema, value);
  return checked.ok ? checked : { ok: false, reason: `${path}: ${formatProblems(checked.problems)}` };
}
