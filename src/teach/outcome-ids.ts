import { z } from "zod";
import { AccError } from "../errors/acc-error.js";
import { readJsonLines } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { formatProblems, validate } from "../records/validate.js";

/** What a resumed run reads of an outcome line: the sample's id (a line that was not a sample has none). */
const OutcomeId = z.looseObject({ sample_id: z.string().optional() });

/**
 * The sample ids given an outcome in a teach run's partial outcomes file (cut back to its checkpoint), so a
 * resumed run still spots duplicates. The file is acc's own: a line that is not an outcome means it was
 * changed since, and the run stops naming the line rather than resume on it.
 */
export async function outcomeIds(path: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const entry of readJsonLines(path, DEFAULT_MAX_LINE_BYTES)) {
    const checked = "value" in entry ? validate(OutcomeId, entry.value) : undefined;
    if (checked?.ok !== true) {
      const reason = checked === undefined ? (entry as { detail: string }).detail : formatProblems(checked.problems);
      throw new AccError(`${path}:${entry.line}: not an outcome this run wrote: ${reason}`, {
        code: "wrong-shape",
        file: path,
        line: entry.line,
        fix: "the output folder was changed after the run stopped: remove it and run again",
      });
    }
    if (checked.value.sample_id !== undefined) ids.add(checked.value.sample_id);
  }
  return ids;
}
