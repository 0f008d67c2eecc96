import { importerFor } from "../formats/registry.js";
import type { Reject } from "../formats/types.js";
import { LineSplitter, type RawLine } from "../io/lines.js";
import { inShard, type Shard } from "../shard/partition.js";
import { utf8Concat } from "../io/utf8.js";
import { toJsonLine } from "../io/json-lines.js";
import { type ConvertOptions, convertItems } from "./convert.js";
import { ImportStats, type ImportStatsSnapshot } from "./stats.js";

/** A run of whole lines of one JSONL file of a row-based format. */
export interface ChunkTask {
  file: string;
  format: string;
  convert: ConvertOptions;
  firstLine: number;
  bytes: Uint8Array;
  maxLineBytes: number;
  /** Import only the lines of this shard (by file and line), and say where each record came from. */
  shard?: Shard;
}

export interface ChunkResult {
  /** The chunk's trajectories as JSONL, UTF-8. */
  output: Uint8Array;
  rejects: Reject[];
  stats: ImportStatsSnapshot;
  /** With a shard: for each line written, in order, its source line and whether it went to the rejects. */
  order?: [line: number, rejected: boolean][];
}

/** Imports one chunk; runs in a worker thread or in-process, with the same result either way. */
export async function processChunk(task: ChunkTask): Promise<ChunkResult> {
  const importer = importerFor(task.format);
  // invariant: the main thread resolved the format before sending the chunk
  if (importer === undefined) throw new Error(`unknown format ${task.format}`);
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const splitter = new LineSplitter(task.maxLineBytes, task.firstLine);
  const mine = (raw: RawLine) => task.shard === undefined || inShard(lineKey(task.file, raw.line), task.shard);
  async function* lines() {
    for (const raw of splitter.push(bytes)) if (mine(raw)) yield toJsonLine(raw);
    for (const raw of splitter.end()) if (mine(raw)) yield toJsonLine(raw);
  }
  const stats = new ImportStats();
  const records: string[] = [];
  const rejects: Reject[] = [];
  const order: [number, boolean][] | undefined = task.shard ? [] : undefined;
  let lastLine = task.firstLine;
  for await (const event of convertItems(importer, { container: "jsonl", file: task.file, lines: lines() }, task.file, task.convert)) {
    stats.observe(event);
    if (event.type === "trajectory") records.push(JSON.stringify(event.trajectory), "\n");
    else if (event.type === "reject") rejects.push(event.reject);
    else continue;
    lastLine = (event.type === "trajectory" ? event.line : event.reject.locator.line) ?? lastLine;
    order?.push([lastLine, event.type === "reject"]);
  }
  return { output: utf8Concat(records), rejects, stats: stats.toJSON(), ...(order ? { order } : {}) };
}

/** A JSONL row's key for sharding: its file and line. */
export function lineKey(file: string, line: number): string {
  return `${file}:${line}`;
}

