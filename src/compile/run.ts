import { join } from "node:path";
import { keyHash } from "../io/checkpoint.js";
import { statInput } from "../io/stdin.js";
import { type ImportOptions, type PreparedImport, prepareImport } from "../import/run.js";
import type { Trajectory } from "../records/trajectory.js";
import { Stage } from "../run/stage.js";
import { WorkerPool, siblingModule } from "../run/worker-pool.js";
import { BatchCompiler, type BatchItem, type CompileSetup } from "./batch.js";
import { IMPORTED_FILE, type Imported, type InputRecord, importPass, removeImported } from "./import-pass.js";
import { ownLines } from "../io/lines.js";
import { loadSqlParser } from "./sql-tables.js";
import { CompileStats, type CompileStatsData } from "./stats.js";
import { loadPromptTokenizer } from "./tokenizer.js";
import type { Shard } from "../shard/partition.js";

export interface CompileRunOptions {
  inputs: readonly string[];
  /** Folder for samples.jsonl, rejects.jsonl and stats.json. */
  outDir: string;
  import: ImportOptions;
  setup: Omit<CompileSetup, "pool" | "poolTasks" | "poolCounts" | "redact">;
  workers: number;
  /** Bounds of the distractor pool: pieces and characters kept per domain, and the largest piece taken. */
  poolMaxPieces: number;
  poolMaxChars: number;
  poolMaxPieceChars: number;
  /**
   * Compile only this shard's trajectories (by trajectory id), and write what `acc merge` needs. The
   * distractor pool is still built from every trajectory, so it is the same in every shard.
   */
  shard?: Shard;
  onProgress?: (done: number, total: number | undefined, stats: CompileStats) => void;
}

/** The outputs, by their index in the stage's files. */
const SAMPLES = 0;
const REJECTS = 1;
/** Trajectories sent to a worker at once. */
const BATCH_SIZE = 8;

/**
 * A worker thread starts by loading the tokenizer and the setup (1–2 s of CPU): a thread is started for
 * every this many trajectories at most, so a small input is compiled in the main thread.
 */
const TRAJECTORIES_PER_WORKER = 16;

/**
 * Compiles every trajectory read from `inputs` into samples. The inputs are imported once, into a file
 * beside the outputs, while the distractor pool is drawn from them (the import pass, import-pass.ts); the
 * samples are then compiled from that file in input order, with a checkpoint after every batch. Both
 * passes run on the stage runner. Rerun with the same inputs and options, it resumes: it imports again
 * only the inputs the import pass had not finished, compiles only the records after the checkpoint, and
 * a run killed at any point and rerun ends byte-identical to an uninterrupted run.
 */
export async function compileRun(options: CompileRunOptions): Promise<CompileStats> {
  const prepared = await prepareImport(options.inputs, options.import);
  const run = await fingerprintOf(options, prepared);
  // before any file is made: a tokenizer that does not load stops the run with nothing left behind
  await loadSqlParser();
  const tokenizer = await loadPromptTokenizer(options.setup.tokenizer);
  const stage = await Stage.open({
    name: "compile",
    outDir: options.outDir,
    files: ["samples.jsonl", "rejects.jsonl"],
    run,
    ...(options.shard ? { shard: options.shard } : {}),
    stats: (saved) => (saved ? CompileStats.from(saved as CompileStatsData) : new CompileStats()),
  });
  const { stats } = stage;
  let imported: Imported;
  try {
    const { seed, distractors } = options.setup.sample;
    const pool = distractors ? { seed, maxPieces: options.poolMaxPieces, maxChars: options.poolMaxChars, maxPieceChars: options.poolMaxPieceChars, sources: options.setup.sources } : undefined;
    const pass = { outDir: options.outDir, import: options.import, ...(pool ? { pool } : {}), ...(options.shard ? { shard: options.shard } : {}) };
    imported = await importPass(pass, prepared, keyHash([run, options.shard ?? null]), tokenizer, () => options.onProgress?.(0, undefined, stats));
  } catch (error) {
    await stage.close();
    throw error;
  }
  const { total } = imported;
  const setup: CompileSetup = { ...options.setup, redact: options.import.redact ?? "off", pool: imported.pool, poolTasks: imported.poolTasks, poolCounts: imported.poolCounts };
  const threads = Math.min(options.workers, Math.max(1, Math.floor(total / TRAJECTORIES_PER_WORKER)));
  const workers = threads > 1 ? new WorkerPool<BatchItem[]>(siblingModule(import.meta.url, "worker"), threads, setup) : undefined;
  const local = workers ? undefined : new BatchCompiler(setup, tokenizer);
  const compile = (trajectories: Trajectory[]) =>
    trajectories.length === 0 ? Promise.resolve([]) : workers ? workers.run(trajectories) : Promise.resolve(local!.run(trajectories));
  await stage.run({
    inputs: batches(join(options.outDir, IMPORTED_FILE), stage.done),
    process: async (records: InputRecord[]) => ({ records, items: await compile(records.flatMap((record) => ("trajectory" in record ? [record.trajectory] : []))) }),
    write: ({ records, items }, out) => {
      let next = 0;
      for (const record of records) {
        if (!("trajectory" in record)) {
          out.line(REJECTS, JSON.stringify({ stage: "import", ...record.reject }));
          out.record(record.ordinal);
          stats.importRejected();
          continue;
        }
        stats.trajectory(record.trajectory);
        const item = items[next++]!;
        stats.evidence(item.secrets);
        if (item.kind === "sample") {
          out.line(SAMPLES, item.line);
          stats.sampled(item.summary);
        } else {
          out.line(REJECTS, JSON.stringify(item.drop));
          stats.dropped(item.drop.domain, item.drop.reason, item.notes);
        }
        out.record(record.ordinal);
      }
    },
    window: Math.max(2, threads * 2),
    onCheckpoint: (done) => options.onProgress?.(done, total, stats),
    close: async () => {
      await workers?.close();
      local?.close();
    },
  });
  await removeImported(options.outDir);
  return stats;
}

/** The imported file's records in batches, after the first `skip` (read as acc's own file: not counted as input read). */
async function* batches(path: string, skip: number): AsyncGenerator<InputRecord[]> {
  let index = 0;
  let batch: InputRecord[] = [];
  for await (const line of ownLines(path)) {
    if (index++ < skip) continue;
    batch.push(JSON.parse(line) as InputRecord);
    if (batch.length >= BATCH_SIZE) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Same inputs (paths, sizes, times) and same options → same fingerprint → a rerun resumes. */
async function fingerprintOf(options: CompileRunOptions, { units }: PreparedImport): Promise<string> {
  const files = await Promise.all(
    units.map(async (unit) => {
      const info = await statInput(unit.path);
      return [unit.path, info.size, info.mtimeMs];
    }),
  );
  const key = ({ files, import: options.import, setup: options.setup, pool: [options.poolMaxPieces, options.poolMaxChars, options.poolMaxPieceChars] });
  return keyHash(key);
}


