import { open } from "node:fs/promises";
import { basename } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { type AsyncBuffer, asyncBufferFromFile, type Compressors, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { countLines, readLines } from "../io/lines.js";
import { contentPath } from "../io/stdin.js";
import { AccError } from "../errors/acc-error.js";
import { withPath } from "../errors/system-error.js";
import { isRecord } from "../json.js";

/** A bad eval data file or row; the message names the file and the row (Parquet, 0-based) or line (JSONL). */
export class EvalDataError extends AccError {
  override name = "EvalDataError";
}

export interface DataRow {
  row: Record<string, unknown>;
  /** 0-based position among the file's rows (blank JSONL lines are not rows). */
  index: number;
  /** "row 17" (Parquet) or "line 19" (JSONL), for messages. */
  where: string;
  /** The row's `id` column when it has one, else `<file name>#<index>`. */
  id: string;
}

export interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

const PARQUET_MAGIC = "PAR1";

/** Codecs Node decodes itself, beside hyparquet's own snappy (zstd and lz4 are not available on Node 20). */
const COMPRESSORS: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
};

/**
 * The rows of an eval data file: Parquet (read one row group at a time, so memory is bounded by the
 * largest row group, never the file) or JSONL (gzip accepted). Only the named columns are read.
 * A file without a required column fails before any row is read.
 */
export async function* readDataRows(file: string, columns: ColumnSpec): AsyncGenerator<DataRow> {
  if ((await fileHead(file, 4)) === PARQUET_MAGIC) yield* parquetRows(file, columns);
  else yield* jsonlRows(file, columns);
}

/** Rows of a data file without reading them: Parquet's metadata, or JSONL's lines (blank ones included). */
export async function countDataRows(file: string): Promise<number> {
  if ((await fileHead(file, 4)) !== PARQUET_MAGIC) return countLines(file);
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(await contentPath(file))).catch((error: Error) => {
    throw new EvalDataError(`${file}: not a readable Parquet file: ${error.message}`);
  });
  return Number(metadata.num_rows);
}

async function* parquetRows(file: string, columns: ColumnSpec): AsyncGenerator<DataRow> {
  const buffer: AsyncBuffer = await asyncBufferFromFile(await contentPath(file));
  const metadata = await parquetMetadataAsync(buffer).catch((error: Error) => {
    throw new EvalDataError(`${file}: not a readable Parquet file: ${error.message}`);
  });
  const present = parquetSchema(metadata).children.map((child) => child.element.name);
  checkColumns(file, present, columns);
  const wanted = [...columns.required, ...columns.optional, "id"].filter((name) => present.includes(name));
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end, columns: wanted, compressors: COMPRESSORS }).catch(
      (error: Error) => {
        throw new EvalDataError(`${file}: rows ${start}-${end - 1}: cannot decode Parquet row group: ${error.message}`);
      },
    );
    for (let i = 0; i < rows.length; i++) {
      const index = start + i;
      const row = rows[i] as Record<string, unknown>;
      // let a multi-megabyte row go as soon as it has been handed on, not with its whole group
      rows[i] = undefined as never;
      yield { row, index, where: `row ${index}`, id: rowId(file, row, index, `row ${index}`) };
    }
    start = end;
  }
}

async function* jsonlRows(file: string, columns: ColumnSpec): AsyncGenerator<DataRow> {
  let index = 0;
  for await (const entry of readLines(file)) {
    const where = `line ${entry.line}`;
    if ("error" in entry) throw new EvalDataError(`${file}: ${where}: ${entry.detail}`);
    let row: unknown;
    try {
      row = JSON.parse(entry.text);
    } catch (error) {
      throw new EvalDataError(`${file}: ${where}: invalid JSON: ${(error as Error).message}`);
    }
    if (!isRecord(row)) {
      throw new EvalDataError(`${file}: ${where}: expected a JSON object, got ${Array.isArray(row) ? "an array" : JSON.stringify(row)}`);
    }
    const record = row; // narrowed: the callbacks below cannot see a narrowed `let`
    const missing = columns.required.filter((name) => !(name in record));
    if (missing.length > 0) {
      throw new EvalDataError(`${file}: ${where}: missing ${plural("column", missing)} ${missing.join(", ")} (has ${Object.keys(record).join(", ")})`);
    }
    yield { row: record, index, where, id: rowId(file, record, index, where) };
    index++;
  }
}

async function fileHead(file: string, bytes: number): Promise<string> {
  try {
    const handle = await open(await contentPath(file), "r");
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.toString("latin1", 0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    // a system error: the CLI names the path and the problem (a missing --data file exits 2)
    throw withPath(error, file);
  }
}

function checkColumns(file: string, present: readonly string[], columns: ColumnSpec): void {
  const missing = columns.required.filter((name) => !present.includes(name));
  if (missing.length > 0) {
    throw new EvalDataError(`${file}: missing ${plural("column", missing)} ${missing.join(", ")} (has ${present.join(", ")})`);
  }
}

/** The `id` column as text: any JSON scalar (a string, a number, a boolean; Parquet integers) is accepted. */
function rowId(file: string, row: Record<string, unknown>, index: number, where: string): string {
  const id = row["id"];
  if (id === undefined || id === null) return `${basename(file)}#${index}`;
  const scalar = typeof id === "string" || typeof id === "number" || typeof id === "bigint" || typeof id === "boolean";
  if (!scalar || id === "") throw new EvalDataError(`${file}: ${where}: column id must be a non-empty string, a number or a boolean, got ${describe(id)}`);
  return String(id);
}

function plural(word: string, items: readonly unknown[]): string {
  return items.length === 1 ? word : `${word}s`;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing (missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "bigint") return `integer ${value}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Typed access to one row's columns; every failure names the file, row and column. */
export class RowReader {
  constructor(
    readonly file: string,
    readonly where: string,
    private readonly row: Record<string, unknown>,
  ) {}

  fail(message: string): never {
    throw new EvalDataError(`${this.file}: ${this.where}: ${message}`);
  }

  string(column: string): string {
    const value = this.row[column];
    if (typeof value !== "string") this.fail(`column ${column} must be a string, got ${describe(value)}`);
    return value;
  }

  optionalString(column: string): string | undefined {
    const value = this.row[column];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") this.fail(`column ${column} must be a string or null, got ${describe(value)}`);
    return value;
  }

  /** Integers come as numbers (JSON) or bigints (Parquet int64). */
  integer(column: string): number {
    const value = this.row[column];
    const number = typeof value === "bigint" ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number)) this.fail(`column ${column} must be an integer, got ${describe(value)}`);
    return number;
  }

  stringList(column: string): string[] {
    const value = this.row[column];
    if (!Array.isArray(value)) this.fail(`column ${column} must be a list of strings, got ${describe(value)}`);
    value.forEach((item, i) => {
      if (typeof item !== "string") this.fail(`column ${column}[${i}] must be a string, got ${describe(item)}`);
    });
    return value as string[];
  }
}
