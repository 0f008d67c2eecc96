import { loadItems } from "../evals/data.js";
import { graphwalksEval } from "../evals/graphwalks.js";
import { mrcrEval } from "../evals/mrcr.js";
import { describe, EvalDataError, readDataRows } from "../evals/rows.js";

/** How an eval file's texts are read: through the MRCR or GraphWalks loader, or from one column. */
export type EvalSource = { file: string; kind: "mrcr" } | { file: string; kind: "graphwalks" } | { file: string; kind: "column"; column: string };

export const DEFAULT_TEXT_COLUMN = "text";

/**
 * Recognises MRCR (`random_string_to_prepend`) and GraphWalks (`answer_nodes`) files by their columns;
 * any other file (or every file, when `column` is given) is read by one text column.
 */
export async function evalSource(file: string, column?: string): Promise<EvalSource> {
  if (column !== undefined) return { file, kind: "column", column };
  // Only the small marker columns are read (a Parquet MRCR prompt column can be hundreds of MB).
  for await (const { row } of readDataRows(file, { required: [], optional: ["random_string_to_prepend", "answer_nodes"] })) {
    if ("random_string_to_prepend" in row) return { file, kind: "mrcr" };
    if ("answer_nodes" in row) return { file, kind: "graphwalks" };
    break;
  }
  return { file, kind: "column", column: DEFAULT_TEXT_COLUMN };
}

/** Each item's texts: an MRCR conversation and answer, a GraphWalks prompt, or a column's value. */
export async function* evalTexts(source: EvalSource): AsyncGenerator<string[]> {
  if (source.kind === "mrcr") {
    const kind = mrcrEval();
    for await (const item of loadItems(kind, [source.file])) yield kind.contextTexts(item);
    return;
  }
  if (source.kind === "graphwalks") {
    const kind = graphwalksEval();
    for await (const item of loadItems(kind, [source.file])) yield kind.contextTexts(item);
    return;
  }
  for await (const { row, where } of readDataRows(source.file, { required: [source.column], optional: [] })) {
    yield columnTexts(row[source.column], `${source.file}: ${where}: column ${source.column}`);
  }
}

/** A text column holds a string, a list of strings, or chat messages ({content: string}). */
function columnTexts(value: unknown, where: string): string[] {
  if (typeof value === "string") return [value];
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    return value.map((entry, i) => {
      if (typeof entry === "string") return entry;
      const content = entry !== null && typeof entry === "object" ? (entry as Record<string, unknown>).content : undefined;
      if (typeof content === "string") return content;
      throw new EvalDataError(`${where}[${i}]: expected a string or a message with string content, got ${describe(entry)}`);
    });
  }
  throw new EvalDataError(`${where}: expected text, a list of texts or chat messages, got ${describe(value)}`);
}
