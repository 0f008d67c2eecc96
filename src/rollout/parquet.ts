import { ParquetFile, type SchemaElement, listColumn, textColumn as string } from "../io/parquet-file.js";
import { readJsonLines } from "../io/json-lines.js";
import type { RolloutRow } from "../records/rollout.js";
import { AccError } from "../errors/acc-error.js";

/** Rows per row group: rows carry whole prompts and responses, so groups stay small. */
const ROWS_PER_GROUP = 256;
const MAX_LINE_BYTES = 1024 * 1024 * 1024;

const list = (name: string, type: "INT32" | "DOUBLE", repetition: "REQUIRED" | "OPTIONAL"): SchemaElement[] => listColumn(name, { name: "element", type, repetition_type: "REQUIRED" }, repetition);
const int = (name: string): SchemaElement => ({ name, type: "INT32", repetition_type: "REQUIRED" });
const bool = (name: string): SchemaElement => ({ name, type: "BOOLEAN", repetition_type: "REQUIRED" });
const double = (name: string): SchemaElement => ({ name, type: "DOUBLE", repetition_type: "REQUIRED" });

/** The columns of rows.parquet, in the order of the RolloutRow record; id lists are 3-level LISTs of INT32. */
const COLUMNS: { schema: SchemaElement[]; pick: (row: RolloutRow) => unknown }[] = [
  { schema: [string("row_id")], pick: (r) => r.row_id },
  { schema: [string("uid")], pick: (r) => r.uid },
  { schema: [string("episode_id")], pick: (r) => r.episode_id },
  { schema: [int("segment_index")], pick: (r) => r.segment_index },
  { schema: [int("row_index")], pick: (r) => r.row_index },
  { schema: [int("rows_in_episode")], pick: (r) => r.rows_in_episode },
  { schema: [bool("is_final_row")], pick: (r) => r.is_final_row },
  { schema: list("prompt_ids", "INT32", "REQUIRED"), pick: (r) => r.prompt_ids },
  { schema: list("response_ids", "INT32", "REQUIRED"), pick: (r) => r.response_ids },
  { schema: list("response_mask", "INT32", "REQUIRED"), pick: (r) => r.response_mask },
  { schema: list("response_logprobs", "DOUBLE", "OPTIONAL"), pick: (r) => r.response_logprobs },
  { schema: [double("reward")], pick: (r) => r.reward },
  { schema: [double("advantage")], pick: (r) => r.advantage },
  { schema: [bool("in_loss")], pick: (r) => r.in_loss },
  { schema: [bool("overlong")], pick: (r) => r.overlong },
  { schema: [bool("finished")], pick: (r) => r.finished },
  { schema: [int("num_turns")], pick: (r) => r.num_turns },
  { schema: [string("token_source")], pick: (r) => r.token_source },
];

const SCHEMA: SchemaElement[] = [{ name: "root", num_children: COLUMNS.length }, ...COLUMNS.flatMap((c) => c.schema)];

/** Writes the rows of a rows.jsonl file to a Parquet file (in row groups, atomically). Returns the row count. */
export async function writeRowsParquet(jsonlPath: string, parquetPath: string): Promise<number> {
  const file = new ParquetFile(parquetPath, SCHEMA, ROWS_PER_GROUP);
  const columns = COLUMNS.map((c) => ({ name: c.schema[0]!.name, pick: c.pick }));
  let batch: RolloutRow[] = [];
  let count = 0;
  try {
    for await (const line of readJsonLines(jsonlPath, MAX_LINE_BYTES)) {
      if ("error" in line) throw new AccError(`${jsonlPath} line ${line.line}: ${line.detail}`, { code: "wrong-shape", file: jsonlPath, line: line.line });
      batch.push(line.value as RolloutRow);
      count++;
      if (batch.length >= ROWS_PER_GROUP) {
        await file.write(batch, columns);
        batch = [];
      }
    }
    await file.write(batch, columns);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
  return count;
}
