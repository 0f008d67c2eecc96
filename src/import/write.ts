import { statInput } from "../io/stdin.js";
import { AtomicFile, type LineSink } from "../io/atomic.js";
import { readLineChunks } from "../io/chunks.js";
import type { Reject } from "../formats/types.js";
import { WorkerPool, orderedMap, siblingModule } from "../run/worker-pool.js";
import { type ChunkResult, type ChunkTask, lineKey, processChunk } from "./chunk.js";
import { convertItems } from "./convert.js";
import { type ImportEvent, type ImportOptions, ImportUsageError, openUnit, prepareImport } from "./run.js";
import { ImportStats } from "./stats.js";
import { AccError } from "../errors/acc-error.js";
import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import { inShard, type Shard } from "../shard/partition.js";
import { join, resolve } from "node:path";

/** Bytes of JSONL handed to a worker at a time (small chunks keep each thread's heap small). */
const CHUNK_BYTES = 1024 * 1024;

/** A record's ordinal in a sharded import is unit × LINES_PER_UNIT + line: exact in a double for 2^21 units. */
const LINES_PER_UNIT = 2 ** 32;
const UNITS_PER_ORDINAL_SPACE = 2 ** 21;

export interface ImportRunOptions extends ImportOptions {
  /** Where trajectories go, one JSON line each. */
  output: LineSink;
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
   * input unit (a session file, a folder) whole, by its path. `shard-order.jsonl` and, once done,
   * `shard.json` go into `dir`, which holds the output and rejects files named `files`.
   */
  shard?: { shard: Shard; dir: string; files: [output: string, rejects: string] };
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

/**
 * Imports `inputs`, streaming trajectories to `output` and rejects to a rejects file; returns the totals.
 * Lines of row-based JSONL files are imported in parallel chunks; output order is the input order.
 */
export async function importToFiles(inputs: readonly string[], options: ImportRunOptions): Promise<ImportStats> {
  const prepared = await prepareImport(inputs, options);
  const stats = new ImportStats();
  const workers = options.workers ?? 1;
  // Started on the first file large enough to be worth the threads' start-up.
  let pool: WorkerPool<ChunkResult> | undefined;
  let rejects: AtomicFile | undefined;
  const shard = options.shard;
  if (shard && prepared.units.length >= UNITS_PER_ORDINAL_SPACE) {
    throw new ImportUsageError(`--shard handles at most ${UNITS_PER_ORDINAL_SPACE} input files and folders, got ${prepared.units.length}`, { fix: "import the inputs in several runs, each into a folder of its own" });
  }
  const order = shard ? await AtomicFile.create(join(shard.dir, ORDER_FILE)) : undefined;
  // a record's place in the whole input: its unit, then its line (row files) or its place in the unit
  const written = async (unit: number, within: number, rejected: boolean) => {
    await order?.write(orderLine(unit * LINES_PER_UNIT + within, rejected ? [0, 1] : [1, 0]));
  };

  const reject = async (r: Reject) => {
    if (options.onError === "fail" && r.scope === "record") throw new RejectedRecordError(r);
    if (options.rejectsPath === undefined) return;
    rejects ??= await AtomicFile.create(options.rejectsPath);
    await rejects.write(`${JSON.stringify(r)}\n`);
  };
  const handle = async (event: ImportEvent, place?: (rejected: boolean) => Promise<void>) => {
    stats.observe(event);
    // the line and its end written apart: joined, they would be copied once more to make one string
    if (event.type === "trajectory") {
      await options.output.write(JSON.stringify(event.trajectory));
      await options.output.write("\n");
    }
    else if (event.type === "reject") await reject(event.reject);
    if (event.type === "trajectory" || event.type === "reject") await place?.(event.type === "reject");
    options.onProgress?.(stats);
  };
  const runChunk = (task: ChunkTask, parallel: boolean): Promise<ChunkResult> => {
    if (!parallel) return processChunk(task);
    pool ??= new WorkerPool<ChunkResult>(siblingModule(import.meta.url, "chunk-worker"), workers);
    const owned = task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength ? task.bytes : task.bytes.slice();
    return pool.run({ ...task, bytes: owned }, [owned.buffer as ArrayBuffer]);
  };

  try {
    for (const [index, unit] of prepared.units.entries()) {
      const opened = await openUnit(unit, prepared);
      const rows = opened.importer !== undefined && opened.importer.rowBased === true && opened.input.container === "jsonl";
      // a unit read whole belongs to one shard; the rows of a row file are split by line
      if (shard && !rows && !inShard(unit.path, shard.shard)) continue;
      let within = 0;
      const inOrder = (rejected: boolean) => written(index, within++, rejected);
      for (const event of opened.events) await handle(event, inOrder);
      if (!opened.importer) continue;
      const { importer, input } = opened;
      if (!rows) {
        for await (const event of convertItems(importer, input, unit.path, prepared.convert)) await handle(event, inOrder);
        continue;
      }
      const parallel = workers > 1 && (await statInput(unit.path)).size > 2 * CHUNK_BYTES;
      const chunks = readLineChunks(unit.path, CHUNK_BYTES, prepared.limits.maxLineBytes);
      const results = orderedMap(
        chunks,
        async (chunk): Promise<ChunkResult | Reject> => {
          if ("tooLong" in chunk) {
            const { line, size } = chunk.tooLong;
            const reason = `line of ${size} bytes exceeds the limit of ${prepared.limits.maxLineBytes} bytes`;
            return { file: unit.path, format: importer.format, locator: { line }, scope: "record", code: "line-too-long", reason };
          }
          return runChunk(
            {
              file: unit.path,
              format: importer.format,
              convert: prepared.convert,
              firstLine: chunk.firstLine,
              bytes: chunk.bytes,
              maxLineBytes: prepared.limits.maxLineBytes,
              ...(shard ? { shard: shard.shard } : {}),
            },
            parallel,
          );
        },
        Math.max(2, workers * 2),
      );
      for await (const result of results) {
        if ("code" in result) {
          const line = result.locator.line!;
          if (shard && !inShard(lineKey(unit.path, line), shard.shard)) continue;
          await handle({ type: "reject", reject: result }, (rejected) => written(index, line, rejected));
          continue;
        }
        for (const r of result.rejects) await reject(r);
        await options.output.write(result.output);
        for (const [line, rejected] of result.order ?? []) await written(index, line, rejected);
        stats.add(result.stats);
        options.onProgress?.(stats);
      }
    }
  } catch (error) {
    await Promise.all([options.output.abort(), rejects?.abort(), order?.abort(), pool?.close()]);
    throw error;
  }
  await pool?.close();
  await Promise.all([options.output.commit(), rejects?.commit(), order?.commit()]);
  if (shard) await writeManifest(shard.dir, { stage: "import", shard: shard.shard, run: await runFingerprint(inputs, options), files: shard.files });
  return stats;
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
    onError: options.onError,
  });
}
