import { rmdir, stat } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import { makeDirectory } from "../io/directory.js";
import { statInput } from "../io/stdin.js";
import { AtomicFile, type LineSink, type Output } from "../io/atomic.js";
import { type ChunkPlace, readLineChunks } from "../io/chunks.js";
import { lineTooLong } from "../io/lines.js";
import type { Reject } from "../formats/types.js";
import { WorkerPool, siblingModule } from "../run/worker-pool.js";
import { Stage, type StageOutput } from "../run/stage.js";
import { type ChunkResult, type ChunkTask, lineKey, processChunk } from "./chunk.js";
import { convertItems } from "./convert.js";
import { detectionThenRecords, type ImportEvent, type ImportOptions, ImportUsageError, openUnit, type PreparedImport, prepareImport } from "./run.js";
import { ImportStats, type ImportStatsSnapshot } from "./stats.js";
import { AccError } from "../errors/acc-error.js";
import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { inShard, type Shard } from "../shard/partition.js";

/** Bytes of JSONL handed to a worker at a time (small chunks keep each thread's heap small). */
export const CHUNK_BYTES = 1024 * 1024;

/** A record's ordinal in a sharded import is unit × LINES_PER_UNIT + line: exact in a double for 2^21 units. */
const LINES_PER_UNIT = 2 ** 32;
const UNITS_PER_ORDINAL_SPACE = 2 ** 21;

/** Events of a unit read whole taken at a time. */
const BATCH_EVENTS = 16;

/** The outputs, by their index in the stage's files. */
const OUTPUT = 0;
const REJECTS = 1;

export interface ImportRunOptions extends ImportOptions {
  /**
   * Where trajectories go, one JSON line each: a file (written as `<file>.partial` and renamed into place; not
   * written when nothing is imported; a killed run resumes), or a sink the caller opened (stdout), which cannot resume.
   */
  output: Output;
  /** Path of the rejects file (JSONL), written only when something is rejected; none when undefined. */
  rejectsPath: string | undefined;
  /** `fail` stops at the first rejected record and writes nothing. */
  onError: "skip" | "fail";
  /**
   * Worker threads for row-based JSONL files. Default 1 (in-process): peak memory stays ~230 MB
   * whatever the input size; each extra thread adds ~80 MB and, on a free core, ~0.7× throughput.
   */
  workers?: number;
  /**
   * Import only this shard's records: a row of a row-based JSONL file by its file and line, any other
   * input unit (a session file, a folder) whole, by its path. The output is a file in the shard's own folder,
   * the rejects file beside it; `shard-order.jsonl` and, once done, `shard.json` go there too.
   */
  shard?: Shard;
  onProgress?: (stats: ImportStats) => void;
}

export class RejectedRecordError extends AccError {
  override name = "RejectedRecordError";
  constructor(readonly reject: Reject) {
    super(`${where(reject)}: ${reject.reason}`, { code: "rejected-record", fix: "nothing was written (--on-error fail stops at the first rejected record; --on-error skip lists them in the rejects file)" });
  }
}

export function where(reject: Reject): string {
  const l = reject.locator;
  const at = l.line !== undefined ? `:${l.line}` : l.event_file ? ` (${l.event_file})` : l.json_pointer ? ` at ${l.json_pointer || "/"}` : "";
  return `${reject.file}${at}`;
}

/** Where an import is, saved with each checkpoint: a resumed run opens no unit before `unit`. */
interface ImportPlace {
  unit: number;
  /** The unit's events taken (its detection events, then its records): a unit read whole is read again and these skipped. */
  events: number;
  /** The unit's records placed: their ordinals in a sharded import (a row file's are its line numbers). */
  within: number;
  /** In a row file: where the chunk after the last one taken starts (a resumed run reads on from there). */
  rows?: ChunkPlace;
}

/** One piece of work, in input order. */
interface Item {
  unit: number;
  /** The unit's events, in order: its detection events, or a batch of the records of a unit read whole. */
  events: ImportEvent[];
  /** A row file's chunk of lines, or its line too long to read (its reject; none when it is another shard's), and where the next chunk starts. */
  chunk?: { task: ChunkTask; parallel: boolean; end: ChunkPlace } | { tooLong: Reject | undefined; end: ChunkPlace };
  /** The unit's last item. */
  end: boolean;
}

/**
 * Imports `inputs`, streaming trajectories to `output` and rejects to a rejects file; returns the totals.
 * Lines of row-based JSONL files are imported in parallel chunks; output order is the input order. The
 * import runs on the stage runner: a checkpoint (`.<output>.import-state.json` beside the output) says which
 * units are done and where in a row file the import is, so a killed run, started again with the same
 * inputs and settings, opens none of the finished units again and reads a row file on from its last chunk.
 */
export async function importToFiles(inputs: readonly string[], options: ImportRunOptions): Promise<ImportStats> {
  const prepared = await prepareImport(inputs, options);
  const workers = options.workers ?? 1;
  const shard = options.shard;
  if (shard && prepared.units.length >= UNITS_PER_ORDINAL_SPACE) {
    throw new ImportUsageError(`--shard handles at most ${UNITS_PER_ORDINAL_SPACE} input files and folders, got ${prepared.units.length}`, { fix: "import the inputs in several runs, each into a folder of its own" });
  }
  const paths = [options.output, options.rejectsPath].filter((path) => path !== undefined);
  const outDir = typeof options.output === "string" ? dirname(options.output) : options.rejectsPath !== undefined ? dirname(options.rejectsPath) : ".";
  if (shard && (typeof options.output !== "string" || (options.rejectsPath !== undefined && dirname(options.rejectsPath) !== outDir))) {
    throw new ImportUsageError("a shard's import writes into the shard's own folder: give the output as a file there, with the rejects file beside it");
  }
  // a folder that cannot be made is named with the file it was for
  const created: string[] = [];
  for (const path of paths) if (typeof path === "string") created.push(...(await makeDirectory(dirname(path), path)));
  const sinks = await Promise.all(paths.map(sinkOf));
  let place: ImportPlace = { unit: 0, events: 0, within: 0 };
  const stats = new ImportStats();
  const stage = await Stage.open({
    name: "import",
    outDir,
    files: paths.map((path) => (typeof path === "string" ? relative(outDir, path) : "-")),
    sinks,
    skipEmpty: true,
    ...(typeof options.output === "string" ? { state: `.${basename(options.output)}.import-state.json` } : {}),
    run: await runFingerprint(inputs, options),
    ...(shard ? { shard } : {}),
    statsFile: false,
    stats: (saved) => {
      if (saved) {
        const restored = saved as { place: ImportPlace; stats: ImportStatsSnapshot };
        place = restored.place;
        stats.add(restored.stats);
      }
      return { get data() { return { place, stats: stats.toJSON() }; } };
    },
  });
  // started on the first file large enough to be worth the threads' start-up
  let pool: WorkerPool<ChunkResult> | undefined;
  const runChunk = (task: ChunkTask, parallel: boolean): Promise<ChunkResult> => {
    if (!parallel) return processChunk(task);
    pool ??= new WorkerPool<ChunkResult>(siblingModule(import.meta.url, "chunk-worker"), workers);
    const owned = task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength ? task.bytes : task.bytes.slice();
    return pool.run({ ...task, bytes: owned }, [owned.buffer as ArrayBuffer]);
  };
  const rejects = options.rejectsPath === undefined ? undefined : REJECTS;
  const reject = (r: Reject, out: StageOutput) => {
    if (options.onError === "fail" && r.scope === "record") throw new RejectedRecordError(r);
    if (rejects !== undefined) out.line(rejects, JSON.stringify(r));
  };
  const handle = (event: ImportEvent, out: StageOutput, ordinal: () => number) => {
    stats.observe(event);
    if (event.type === "trajectory") out.line(OUTPUT, JSON.stringify(event.trajectory));
    else if (event.type === "reject") reject(event.reject, out);
    if (event.type === "trajectory" || event.type === "reject") out.record(ordinal());
  };

  try {
    await stage.run({
      inputs: items(prepared, { ...place }, { workers, ...(shard ? { shard } : {}) }),
      process: (item: Item): { item: Item; rows?: ChunkResult } | Promise<{ item: Item; rows: ChunkResult }> =>
        item.chunk && "task" in item.chunk ? runChunk(item.chunk.task, item.chunk.parallel).then((rows) => ({ item, rows })) : { item },
      write: ({ item, rows }, out) => {
        if (item.unit !== place.unit) place = { unit: item.unit, events: 0, within: 0 };
        const base = item.unit * LINES_PER_UNIT;
        for (const event of item.events) handle(event, out, () => base + place.within++);
        place.events += item.events.length;
        const chunk = item.chunk;
        if (chunk && "tooLong" in chunk && chunk.tooLong) handle({ type: "reject", reject: chunk.tooLong }, out, () => base + chunk.tooLong!.locator.line!);
        if (rows) {
          for (const r of rows.rejects) reject(r, out);
          out.block(OUTPUT, rows.output, rows.stats.imported);
          for (const [line, rejected] of rows.order ?? []) out.record(base + line, (rejected ? [0, 1] : [1, 0]).slice(0, paths.length));
          stats.add(rows.stats);
        }
        if (chunk) place.rows = chunk.end;
        if (item.end) place = { unit: item.unit + 1, events: 0, within: 0 };
        options.onProgress?.(stats);
      },
      window: Math.max(2, workers * 2),
      checkpoint: { items: 16, ms: 1000 },
      close: async () => await pool?.close(),
    });
  } catch (error) {
    // a record rejected with --on-error fail stops the import on purpose: nothing is left to resume
    if (error instanceof RejectedRecordError) await stage.discard();
    throw error;
  }
  // the rejects file is written only when something was rejected: a folder made for it alone is not left empty
  for (const dir of created.reverse()) await rmdir(dir).catch(() => {});
  return stats;
}

/** A path that is a special file (/dev/null, a FIFO) is written straight into, not through a `.partial` file renamed over it. */
async function sinkOf(output: Output): Promise<LineSink | undefined> {
  if (typeof output !== "string") return output;
  const existing = await stat(output).catch(() => undefined);
  // AtomicFile refuses a folder with the one-line error, and writes into a special file directly
  return existing && !existing.isFile() ? AtomicFile.create(output) : undefined;
}

/**
 * The work of units `from.unit` on, in order: each unit's detection events, then its records in batches
 * (a unit read whole) or its chunks of lines (a row file). The unit at `from` skips what the last
 * checkpoint took: its first `from.events` events, and a row file's lines before `from.rows`.
 */
async function* items(prepared: PreparedImport, from: ImportPlace, settings: { workers: number; shard?: Shard }): AsyncGenerator<Item> {
  const { shard, workers } = settings;
  for (let unit = from.unit; unit < prepared.units.length; unit++) {
    const path = prepared.units[unit]!.path;
    const resumed = unit === from.unit ? from : undefined;
    const opened = await openUnit(prepared.units[unit]!, prepared);
    const rows = opened.importer !== undefined && opened.importer.rowBased === true && opened.input.container === "jsonl";
    // a unit read whole belongs to one shard; the rows of a row file are split by line
    if (shard && !rows && !inShard(path, shard)) continue;
    if (!opened.importer) {
      yield { unit, events: opened.events, end: true };
      continue;
    }
    const { importer, input } = opened;
    let skip = resumed?.events ?? 0;
    if (!rows) {
      let events: ImportEvent[] = [];
      for await (const event of detectionThenRecords(opened.events, convertItems(importer, input, path, prepared.convert))) {
        if (skip > 0) {
          skip--;
          continue;
        }
        events.push(event);
        if (events.length === BATCH_EVENTS) {
          yield { unit, events, end: false };
          events = [];
        }
      }
      yield { unit, events, end: true };
      continue;
    }
    if (skip === 0) yield { unit, events: opened.events, end: false };
    const parallel = workers > 1 && (await statInput(path)).size > 2 * CHUNK_BYTES;
    const maxLineBytes = prepared.limits.maxLineBytes;
    // the chunks go on from the bytes detection read (a row file's first 4 MiB are not read again)
    const start = input.container === "jsonl" ? input.start : undefined;
    for await (const chunk of readLineChunks(path, CHUNK_BYTES, maxLineBytes, resumed?.rows, start)) {
      if ("tooLong" in chunk) {
        const { line, size } = chunk.tooLong;
        const reason = lineTooLong(size, maxLineBytes);
        const tooLong: Reject = { file: path, format: importer.format, locator: { line }, scope: "record", code: "line-too-long", reason };
        yield { unit, events: [], chunk: { tooLong: shard && !inShard(lineKey(path, line), shard) ? undefined : tooLong, end: chunk.end }, end: false };
        continue;
      }
      const task: ChunkTask = { file: path, format: importer.format, convert: prepared.convert, firstLine: chunk.firstLine, bytes: chunk.bytes, maxLineBytes, ...(shard ? { shard } : {}) };
      yield { unit, events: [], chunk: { task, parallel, end: chunk.end }, end: false };
    }
    yield { unit, events: [], end: true };
  }
}

/** The inputs (path, size, time) and settings of an import, without the shard: what the shards of one run share. */
async function runFingerprint(inputs: readonly string[], options: ImportRunOptions): Promise<string> {
  const described = await Promise.all(
    inputs.map(async (input) => {
      const info = await statInput(input).catch(() => undefined);
      return info?.isFile() ? await fileIdentity(input) : [resolve(input)];
    }),
  );
  return keyHash({
    version: 1,
    inputs: described,
    format: options.format ?? null,
    domain: options.domain ?? null,
    redact: options.redact ?? "off",
    audit: options.audit ?? false,
    maxLineBytes: options.maxLineBytes ?? null,
    maxDocumentBytes: options.maxDocumentBytes ?? null,
    onError: options.onError,
    rejects: options.rejectsPath !== undefined,
  });
}
