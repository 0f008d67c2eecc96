import { rename, rm } from "node:fs/promises";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet-writer";
import { tempPathOf } from "../io/atomic.js";
import { trackTemp } from "../io/cleanup.js";
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
export class SampleParquetWriter {
  private readonly writer: ParquetWriter;
  private batch: Sample[] = [];
  private readonly tempPath: string;
  private readonly untrack: () => void;

  constructor(
    private readonly path: string,
    private readonly reasoning: ReasoningMode,
  ) {
    this.tempPath = tempPathOf(path);
    this.untrack = trackTemp(this.tempPath);
    this.writer = new ParquetWriter({ writer: fileWriter(this.tempPath), schema: SCHEMA, createdBy: "agent-context-compiler" });
  }

  async add(sample: Sample): Promise<void> {
    this.batch.push(sample);
    if (this.batch.length >= ROWS_PER_GROUP) await this.flush();
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.writer.finish();
    await rename(this.tempPath, this.path);
    this.untrack();
  }

  async abort(): Promise<void> {
    await rm(this.tempPath, { force: true });
    this.untrack();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    const column = <T>(name: string, pick: (s: Sample) => T) => ({ name, data: rows.map(pick) });
    await this.writer.write({
      columnData: [
        column("id", (s) => s.id),
        column("messages", (s) => chatMessages(s, this.reasoning).map(({ role, content }) => ({ role, content }))),
        column("answer", (s) => s.target.answer),
        column("reasoning", (s) => s.target.reasoning),
        column("domain", (s) => s.meta.domain),
        column("prompt_tokens", (s) => s.meta.prompt_tokens),
        column("trajectory_id", (s) => s.meta.trajectory_id),
        column("meta", (s) => s.meta),
      ],
      rowGroupSize: ROWS_PER_GROUP,
    });
  }
}
