import { ParquetFile, type SchemaElement, listColumn, textColumn as text } from "../io/parquet-file.js";

/** The columns verl's `RLHFDataset` reads (`prompt_key: prompt`), with `prompt` as a LIST of STRUCT like its preprocessing scripts write. */
const SCHEMA: SchemaElement[] = [
  { name: "root", num_children: 6 },
  text("data_source"),
  ...listColumn("prompt", { name: "element", repetition_type: "REQUIRED", num_children: 2 }),
  text("role"),
  text("content"),
  text("ability"),
  { name: "reward_model", repetition_type: "REQUIRED", num_children: 2 },
  text("style"),
  text("ground_truth", "OPTIONAL"),
  { name: "extra_info", repetition_type: "REQUIRED", num_children: 4 },
  { name: "index", type: "INT64", repetition_type: "REQUIRED" },
  text("split"),
  text("task_id"),
  text("tools"),
  text("agent_name"),
];

const COLUMNS = ["data_source", "prompt", "ability", "reward_model", "extra_info", "agent_name"].map((name) => ({ name, pick: (row: Record<string, unknown>) => row[name] }));

/** Writes the prompt rows (from `verlPrompt`) as verl's Parquet prompt file, atomically. */
export async function writeVerlPrompts(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const file = new ParquetFile(path, SCHEMA, 1000);
  try {
    // INT64 columns take bigints (verl's preprocessing writes the index as a Python int, INT64).
    await file.write(rows.map((row) => ({ ...row, extra_info: { ...(row.extra_info as object), index: BigInt((row.extra_info as { index: number }).index) } })), COLUMNS);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}
