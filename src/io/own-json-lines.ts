import type { z } from "zod";
import { AccError } from "../errors/acc-error.js";
import { formatProblems, validate } from "../records/validate.js";
import { ownRawLines } from "./lines.js";

/**
 * The lines of a JSONL file acc wrote itself and reads back to resume (a stage's log, cut back to its
 * checkpoint), each parsed and checked against a lenient schema of what the reader uses. A line that is
 * not UTF-8, not JSON or not of that shape means the file was changed since acc wrote it: the read stops
 * with one line naming the file, the line and the problem, and `fix`, rather than resume on it. As
 * readJsonFile, the schema checks and never rewrites: each value is the one parsed (keys in the order written).
 */
export async function* readOwnJsonLines<T>(path: string, schema: z.ZodType<T>, details: { what: string; fix: string }): AsyncGenerator<T> {
  for await (const raw of ownRawLines(path)) {
    let reason: string;
    if ("error" in raw) reason = raw.detail;
    else {
      let value: unknown;
      try {
        value = JSON.parse(raw.text);
      } catch (error) {
        throw notOwn(path, raw.line, `invalid JSON: ${(error as Error).message}`, details);
      }
      const checked = validate(schema, value);
      if (checked.ok) {
        yield value as T;
        continue;
      }
      reason = formatProblems(checked.problems);
    }
    throw notOwn(path, raw.line, reason, details);
  }
}

function notOwn(path: string, line: number, reason: string, details: { what: string; fix: string }): AccError {
  return new AccError(`${path}:${line}: not ${details.what}: ${reason}`, { code: "wrong-shape", file: path, line, fix: details.fix });
}
