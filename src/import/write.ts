import { statInput } from "../io/stdin.js";
import { AtomicFile, type LineSink } from "../io/atomic.js";
import { readLineChunks } from "../io/chunks.js";
import type { Reject } from "../formats/types.js";
import { WorkerPool, orderedMap, siblingModule } from "../run/worker-pool.js";
import { type ChunkResult, type ChunkTask, processChunk } from "./chunk.js";
import { convertItems } from "./convert.js";
import { type ImportEvent, type ImportOptions, openUnit, prepareImport } from "./run.js";
import { ImportStats } from "./stats.js";
import { AccError } from "../errors/acc-error.js";

/** Bytes of JSONL handed to a worker at a time (small chunks keep each thread's heap small). */
const CHUNK_BYTES = 1024 * 1024;

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

  const reject = async (r: Reject) => {
    if (options.onError === "fail" && r.scope === "record") throw new RejectedRecordError(r);
    if (options.rejectsPath === undefined) return;
    rejects ??= await AtomicFile.create(options.rejectsPath);
    await rejects.write(`${JSON.stringify(r)}\n`);
  };
  const handle = async (event: ImportEvent) => {
    stats.observe(event);
    if (event.type === "trajectory") await options.output.write(`${JSON.stringify(event.trajectory)}\n`);
    else if (event.type === "reject") await reject(event.reject);
    options.onProgress?.(stats);
  };
  const runChunk = (task: ChunkTask, parallel: boolean): Promise<ChunkResult> => {
    if (!parallel) return processChunk(task);
    pool ??= new WorkerPool<ChunkResult>(siblingModule(import.meta.url, "chunk-worker"), workers);
    const owned = task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength ? task.bytes : task.bytes.slice();
    return pool.run({ ...task, bytes: owned }, [owned.buffer as ArrayBuffer]);
  };

  try {
    for (const unit of prepared.units) {
      const opened = await openUnit(unit, prepared);
      for (const event of opened.events) await handle(event);
      if (!opened.importer) continue;
      const { importer, input } = opened;
      if (!(importer.rowBased && input.container === "jsonl")) {
        for await (const event of convertItems(importer, input, unit.path, prepared.convert)) await handle(event);
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
            },
            parallel,
          );
        },
        Math.max(2, workers * 2),
      );
      for await (const result of results) {
        if ("code" in result) {
          await handle({ type: "reject", reject: result });
          continue;
        }
        for (const r of result.rejects) await reject(r);
        await options.output.write(result.output);
        stats.add(result.stats);
        options.onProgress?.(stats);
      }
    }
  } catch (error) {
    await Promise.all([options.output.abort(), rejects?.abort(), pool?.close()]);
    throw error;
  }
  await pool?.close();
  await Promise.all([options.output.commit(), rejects?.commit()]);
  return stats;
}
