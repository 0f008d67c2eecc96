import { ParquetRows, type SchemaElement } from "../io/parquet-file.js";
import type { Sample } from "../records/sample.js";
import { chatMessages, type ReasoningMode } from "./rows.js";

const ROWS_PER_GROUP = 1000;

/** The Parquet schema: standard 3-level LIST of STRUCT for messages, so pyarrow and `datasets` read it as-is. */
const SCHEMA: SchemaElement[] = [
  { name: "root", num_children: 8 },
  { name: "id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "messages", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: 2 },
  { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "answer", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "reasoning", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  { name: "domain", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "prompt_tokens", type: "INT32", repetition_type: "REQUIRED" },
  { name: "trajectory_id", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "meta", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "REQUIRED" },
];

/** Writes samples to a Parquet file in row groups of 1,000 (bounded memory), atomically. */
export class SampleParquetWriter extends ParquetRows<Sample> {
  constructor(path: string, reasoning: ReasoningMode) {
    super(path, SCHEMA, [
      { name: "id", pick: (s) => s.id },
      { name: "messages", pick: (s) => chatMessages(s, reasoning).map(({ role, content }) => ({ role, content })) },
      { name: "answer", pick: (s) => s.target.answer },
      { name: "reasoning", pick: (s) => s.target.reasoning },
      { name: "domain", pick: (s) => s.meta.domain },
      { name: "prompt_tokens", pick: (s) => s.meta.prompt_tokens },
      { name: "trajectory_id", pick: (s) => s.meta.trajectory_id },
      { name: "meta", pick: (s) => s.meta },
    ], ROWS_PER_GROUP);
  }
}
