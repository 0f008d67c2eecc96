import { createReadStream, existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AtomicFile } from "../io/atomic.js";
import { keyHash, readCheckpoint, writeCheckpoint } from "../io/checkpoint.js";
import { LineSplitter } from "../io/lines.js";
import { statInput } from "../io/stdin.js";
import { type ImportOptions, importTrajectories, prepareImport } from "../import/run.js";
import { redactEvidence } from "./redact.js";
import { Domain, type Trajectory } from "../records/trajectory.js";
import { Stage } from "../run/stage.js";
import { WorkerPool, siblingModule } from "../run/worker-pool.js";
import { BatchCompiler, type BatchItem, type CompileSetup } from "./batch.js";
import { extractEvidence } from "./evidence/index.js";
import { DistractorPool } from "./distractor-pool.js";
import { SourceResolver } from "./sources.js";
import { loadSqlParser } from "./sql-tables.js";
import { type TaskIdentity, taskIdentity } from "./task-identity.js";
import { CompileStats, type CompileStatsData } from "./stats.js";
import type { PromptTokenizer } from "./pack.js";
import { blockBody } from "./render.js";
import { loadPromptTokenizer } from "./tokenizer.js";
import { EvidencePiece } from "../records/sample.js";
import type { Reject } from "../formats/types.js";
import { inShard, type Shard } from "../shard/partition.js";

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
/** The run's records as imported once (this shard's, with their place in the whole input), and what the distractor pass made of them. */
const IMPORTED_FILE = ".compile-import.jsonl";
const POOL_FILE = ".compile-pool.json";

/**
 * A worker thread starts by loading the tokenizer and the setup (1–2 s of CPU): a thread is started for
 * every this many trajectories at most, so a small input is compiled in the main thread.
 */
const TRAJECTORIES_PER_WORKER = 16;

/** A record of the input: a trajectory or an import reject, with its place in the whole input. */
type InputRecord = { ordinal: number } & ({ trajectory: Trajectory } | { reject: Reject });

/** What the import pass leaves for the compile pass (and for a resumed run, which imports nothing again). */
interface Imported {
  fingerprint: string;
  /** Records in the imported file. */
  total: number;
  pool: Partial<Record<Domain, EvidencePiece[]>>;
  poolTasks: Record<string, TaskIdentity>;
  poolCounts: Record<string, number>;
}

const count = z.number().int().nonnegative();
/** The pool checkpoint as read back; its pieces are checked as evidence pieces. */
const ImportedSchema: z.ZodType<Imported> = z.object({
  fingerprint: z.string(),
  total: count,
  pool: z.partialRecord(Domain, z.array(EvidencePiece)),
  poolTasks: z.record(z.string(), z.object({ id: z.string().optional(), question: z.string().optional(), signature: z.array(z.number()).optional() })),
  poolCounts: z.record(z.string(), count),
});

/**
 * Compiles every trajectory read from `inputs` into samples. The inputs are imported once, into a file
 * beside the outputs, while the distractor pool is drawn from them; the samples are then compiled from
 * that file in input order, with a checkpoint after every batch. Rerun with the same inputs and options,
 * it resumes: it imports nothing again and compiles only the records after the checkpoint, and a run
 * killed at any point and rerun ends byte-identical to an uninterrupted run.
 */
export async function compileRun(options: CompileRunOptions): Promise<CompileStats> {
  const run = await fingerprintOf(options);
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
    imported = await importOnce(options, keyHash([run, options.shard ?? null]), tokenizer, () => options.onProgress?.(0, undefined, stats));
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
  await rm(join(options.outDir, IMPORTED_FILE), { force: true });
  await rm(join(options.outDir, POOL_FILE), { force: true });
  return stats;
}

/** The imported file's records in batches, after the first `skip` (read as acc's own file: not counted as input read). */
async function* batches(path: string, skip: number): AsyncGenerator<InputRecord[]> {
  const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
  let index = 0;
  let batch: InputRecord[] = [];
  const lines = async function* () {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) yield* splitter.push(chunk);
    yield* splitter.end();
  };
  for await (const line of lines()) {
    if (index++ < skip || !("text" in line)) continue;
    batch.push(JSON.parse(line.text) as InputRecord);
    if (batch.length >= BATCH_SIZE) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** An import reject's key for sharding: where it is. */
function rejectKey(reject: Reject): string {
  return JSON.stringify([reject.file, reject.locator]);
}

/**
 * The import pass, once per run: every record of the inputs, this shard's written to the imported file, and
 * (with distractors) a seeded, bounded sample of every trajectory's pieces per domain, with the task identity
 * of the trajectories they come from (so a sample never gets distractors from its own task). Its results
 * are kept until the run ends, so a resumed run finds them instead of importing again.
 */
async function importOnce(options: CompileRunOptions, fingerprint: string, tokenizer: PromptTokenizer, onBatch: () => void): Promise<Imported> {
  const importedPath = join(options.outDir, IMPORTED_FILE);
  const poolPath = join(options.outDir, POOL_FILE);
  const saved = await readCheckpoint(poolPath, fingerprint, ImportedSchema);
  if (saved && existsSync(importedPath)) return saved;
  const pool = new DistractorPool(options.setup.sample.seed, options.poolMaxPieces, options.poolMaxPieceChars, options.poolMaxChars);
  const tasks = new Map<string, TaskIdentity>();
  const distractors = options.setup.sample.distractors;
  const resolver = distractors ? new SourceResolver(options.setup.sources) : undefined;
  const file = await AtomicFile.create(importedPath);
  let ordinal = 0;
  let total = 0;
  try {
    for await (const event of importTrajectories(options.inputs, options.import)) {
      let record: InputRecord;
      if (event.type === "trajectory") {
        const trajectory = event.trajectory;
        if (resolver) {
          pool.offer(trajectory.domain, extractEvidence(trajectory, resolver.for(trajectory)));
          tasks.set(trajectory.id, taskIdentity(trajectory));
        }
        record = { ordinal: ordinal++, trajectory };
        if (!inShard(trajectory.id, options.shard)) continue;
      } else if (event.type === "reject" && event.reject.scope === "record") {
        record = { ordinal: ordinal++, reject: event.reject };
        if (!inShard(rejectKey(event.reject), options.shard)) continue;
      } else continue;
      await file.write(`${JSON.stringify(record)}\n`);
      if (++total % BATCH_SIZE === 0) onBatch();
    }
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  } finally {
    resolver?.close();
  }
  const redact = options.import.redact ?? "off";
  // Pool pieces are other trajectories' evidence, counted when those are compiled: redacted here, not counted again.
  const poolPieces = Object.fromEntries(Object.entries(pool.toJSON()).map(([domain, pieces]) => [domain, redactEvidence(pieces, redact).pieces]));
  const imported: Imported = { fingerprint, total, pool: poolPieces, poolTasks: tasksOf(poolPieces, tasks), poolCounts: countBodies(poolPieces, tokenizer) };
  await writeCheckpoint(poolPath, JSON.stringify(imported));
  return imported;
}

/** The identities of the trajectories the pool's pieces come from. */
function tasksOf(pool: Partial<Record<string, EvidencePiece[]>>, tasks: ReadonlyMap<string, TaskIdentity>): Record<string, TaskIdentity> {
  const kept: Record<string, TaskIdentity> = {};
  for (const pieces of Object.values(pool)) {
    for (const piece of pieces ?? []) {
      for (const { trajectory_id } of piece.origins) {
        const identity = tasks.get(trajectory_id);
        if (identity !== undefined) kept[trajectory_id] = identity;
      }
    }
  }
  return kept;
}

/** Pool pieces are counted here once, not once per worker. */
function countBodies(pool: Partial<Record<string, EvidencePiece[]>>, tokenizer: PromptTokenizer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const pieces of Object.values(pool)) for (const piece of pieces ?? []) counts[piece.id] ??= tokenizer.count(blockBody(piece.text));
  return counts;
}

/** Same inputs (paths, sizes, times) and same options → same fingerprint → a rerun resumes. */
async function fingerprintOf(options: CompileRunOptions): Promise<string> {
  const { units } = await prepareImport(options.inputs, options.import);
  const files = await Promise.all(
    units.map(async (unit) => {
      const info = await statInput(unit.path);
      return [unit.path, info.size, info.mtimeMs];
    }),
  );
  const key = ({ files, import: options.import, setup: options.setup, pool: [options.poolMaxPieces, options.poolMaxChars, options.poolMaxPieceChars] });
  return keyHash(key);
}


