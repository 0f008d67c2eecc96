import { importerFor } from "../formats/registry.js";
import type { Reject } from "../formats/types.js";
import { LineSplitter } from "../io/lines.js";
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
}

export interface ChunkResult {
  /** The chunk's trajectories as JSONL, UTF-8. */
  output: Uint8Array;
  rejects: Reject[];
  stats: ImportStatsSnapshot;
}

/** Imports one chunk; runs in a worker thread or in-process, with the same result either way. */
export async function processChunk(task: ChunkTask): Promise<ChunkResult> {
  const importer = importerFor(task.format);
  if (importer === undefined) throw new Error(`unknown format ${task.format}`);
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const splitter = new LineSplitter(task.maxLineBytes, task.firstLine);
  async function* lines() {
    for (const raw of splitter.push(bytes)) yield toJsonLine(raw);
    for (const raw of splitter.end()) yield toJsonLine(raw);
  }
  const stats = new ImportStats();
  const records: string[] = [];
  const rejects: Reject[] = [];
  for await (const event of convertItems(importer, { container: "jsonl", file: task.file, lines: lines() }, task.file, task.convert)) {
    stats.observe(event);
    if (event.type === "trajectory") records.push(JSON.stringify(event.trajectory), "\n");
    else if (event.type === "reject") rejects.push(event.reject);
  }
  return { output: utf8Concat(records), rejects, stats: stats.toJSON() };
}

