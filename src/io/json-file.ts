import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { AccError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";
import { formatProblems, validate } from "../records/validate.js";

export type JsonRead<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A small JSON file acc wrote, read back (a shard's manifest, stats, eval summary and decontamination report
 * for acc merge; a stage's checkpoint; a mined manifest): parsed and checked against a lenient schema of the
 * fields the reader uses, in place of a `JSON.parse(…) as T` that trusts whatever the file holds (ESLint
 * refuses `JSON.parse(readFile(…))`). Files only: records (JSONL) and the wire's hot paths have their own
 * readers (readJsonLines, validateFast, src/llm/response.ts).
 * A missing file, text that is not JSON and a value of another shape each give the reason, naming the file.
 * Schemas here check and never transform (no defaults, no coercion): the value returned is the one parsed.
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
  // the value as written: the schema checks it, never rewrites it (zod would put keys in schema order)
  return checked.ok ? { ok: true, value: value as T } : { ok: false, reason: `${path}: ${formatProblems(checked.problems)}` };
}

/** readJsonFile for a file the run cannot do without: its value, or an AccError (one line: the file and the reason) with `fix`. */
export async function requireJsonFile<T>(path: string, schema: z.ZodType<T>, details: { code: ErrorCode; what: string; fix: string }): Promise<T> {
  const read = await readJsonFile(path, schema);
  if (read.ok) return read.value;
  throw new AccError(`not ${details.what}: ${read.reason}`, { code: details.code, file: path, fix: details.fix });
}
