import { rename, rm } from "node:fs/promises";
import { ParquetWriter, fileWriter, type SchemaElement } from "hyparquet-writer";
import { tempPathOf } from "../io/atomic.js";
import { trackTemp } from "../io/cleanup.js";

const text = (name: string, repetition: "REQUIRED" | "OPTIONAL" = "REQUIRED"): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: repetition });

/** The columns verl's `RLHFDataset` reads (`prompt_key: prompt`), with `prompt` as a LIST of STRUCT like its preprocessing scripts write. */
const SCHEMA: SchemaElement[] = [
  { name: "root", num_children: 6 },
  text("data_source"),
  { name: "prompt", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: 2 },
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

const COLUMNS = ["data_source", "prompt", "ability", "reward_model", "extra_info", "agent_name"] as const;

/** Writes the prompt rows (from `verlPrompt`) as verl's Parquet prompt file, atomically. */
export async function writeVerlPrompts(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const tempPath = tempPathOf(path);
  const untrack = trackTemp(tempPath);
  try {
    const writer = new ParquetWriter({ writer: fileWriter(tempPath), schema: SCHEMA, createdBy: "agent-context-compiler" });
    // INT64 columns take bigints (verl's preprocessing writes the index as a Python int, INT64).
    const data: Record<string, unknown>[] = rows.map((row) => ({ ...row, extra_info: { ...(row.extra_info as object), index: BigInt((row.extra_info as { index: number }).index) } }));
    await writer.write({ columnData: COLUMNS.map((name) => ({ name, data: data.map((row) => row[name]) })), rowGroupSize: 1000 });
    await writer.finish();
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  } finally {
    untrack();
  }
}
