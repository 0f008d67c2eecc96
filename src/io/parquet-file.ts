import { rename, rm } from "node:fs/promises";
import { ParquetWriter, fileWriter, type SchemaElement } from "hyparquet-writer";
import { tempPathOf } from "./atomic.js";
import { trackTemp } from "./cleanup.js";

export type { SchemaElement };

/** A UTF-8 string column. */
export const textColumn = (name: string, repetition: "REQUIRED" | "OPTIONAL" = "REQUIRED"): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: repetition });

/** The standard 3-level LIST (`name` / `list` / `element`) that pyarrow and `datasets` read as a list; `element` is the item's schema (with `num_children` when it is a struct). */
export const listColumn = (name: string, element: SchemaElement, repetition: "REQUIRED" | "OPTIONAL" = "REQUIRED"): SchemaElement[] => [
  { name, repetition_type: repetition, converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { ...element, name: "element" },
];

/**
 * A Parquet file written under a temporary name and renamed into place by `commit` (so readers never
 * see half a file); the temporary file is removed by `abort` and on every exit path (cleanup.ts).
 * `write` takes one batch of rows as columns (objects for structs, arrays for lists, bigints for INT64).
 */
export class ParquetFile {
  private readonly writer: ParquetWriter;
  private readonly tempPath: string;
  private readonly untrack: () => void;

  constructor(
    private readonly path: string,
    schema: SchemaElement[],
    private readonly rowsPerGroup: number,
  ) {
    this.tempPath = tempPathOf(path);
    this.untrack = trackTemp(this.tempPath);
    this.writer = new ParquetWriter({ writer: fileWriter(this.tempPath), schema, createdBy: "agent-context-compiler" });
  }

  /** Writes rows: `columns` names each top-level column and `pick` takes its value from a row. */
  async write<T>(rows: readonly T[], columns: readonly { name: string; pick: (row: T) => unknown }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.writer.write({ columnData: columns.map((c) => ({ name: c.name, data: rows.map(c.pick) })), rowGroupSize: this.rowsPerGroup });
  }

  async commit(): Promise<void> {
    try {
      await this.writer.finish();
      await rename(this.tempPath, this.path);
    } catch (error) {
      await this.abort();
      throw error;
    }
    this.untrack();
  }

  async abort(): Promise<void> {
    await rm(this.tempPath, { force: true });
    this.untrack();
  }
}

/** Rows added one at a time, written in row groups of `rowsPerGroup` (bounded memory), atomically on `commit`. */
export class ParquetRows<T> {
  private readonly file: ParquetFile;
  private batch: T[] = [];

  constructor(
    path: string,
    schema: SchemaElement[],
    private readonly columns: readonly { name: string; pick: (row: T) => unknown }[],
    private readonly rowsPerGroup: number,
  ) {
    this.file = new ParquetFile(path, schema, rowsPerGroup);
  }

  async add(row: T): Promise<void> {
    this.batch.push(row);
    if (this.batch.length >= this.rowsPerGroup) await this.flush();
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }

  private async flush(): Promise<void> {
    const rows = this.batch;
    this.batch = [];
    await this.file.write(rows, this.columns);
  }
}
