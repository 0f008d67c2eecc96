import { keyHash, readCheckpoint, writeCheckpoint } from "../io/checkpoint.js";
import { rm } from "node:fs/promises";
import { statInput } from "../io/stdin.js";
import { makeDirectory } from "../io/directory.js";
import { join } from "node:path";
import { type ImportEvent, type ImportOptions, importTrajectories, prepareImport } from "../import/run.js";
import { ResumableFile } from "../io/resumable.js";
import { redactEvidence } from "./redact.js";
import type { Trajectory } from "../records/trajectory.js";
import { WorkerPool, orderedMap, siblingModule } from "../run/worker-pool.js";
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
import type { EvidencePiece } from "../records/sample.js";
import type { Reject } from "../formats/types.js";
import { inShard, type Shard } from "../shard/partition.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import { statsText } from "../shard/stats.js";

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

/** Trajectories sent to a worker at once. */
const BATCH_SIZE = 8;
const STATE_FILE = ".compile-state.json";

interface CompileState {
  fingerprint: string;
  done: number;
  samples_bytes: number;
  rejects_bytes: number;
  order_bytes?: number;
  stats: CompileStatsData;
}

/**
 * A worker thread starts by loading the tokenizer and the setup (1–2 s of CPU): a thread is started for
 * every this many trajectories at most (when the distractor pool's pass has counted them), so a small
 * input is compiled in the main thread.
 */
const TRAJECTORIES_PER_WORKER = 16;

/**
 * Compiles every trajectory read from `inputs` into samples. Streams in input order, writes through
 * a checkpoint after every batch, and resumes from it when rerun with the same inputs and options:
 * a run killed at any point and rerun ends byte-identical to an uninterrupted run.
 */
export async function compileRun(options: CompileRunOptions): Promise<CompileStats> {
  await makeDirectory(options.outDir);
  const run = await fingerprintOf(options);
  const fingerprint = options.shard ? keyHash([run, options.shard]) : run;
  const statePath = join(options.outDir, STATE_FILE);
  const samplesPath = join(options.outDir, "samples.jsonl");
  const rejectsPath = join(options.outDir, "rejects.jsonl");
  const state = await readCheckpoint<CompileState>(statePath, fingerprint);
  const stats = state ? CompileStats.from(state.stats) : new CompileStats();
  const samples = await ResumableFile.open(`${samplesPath}.partial`, state?.samples_bytes ?? 0);
  const rejects = await ResumableFile.open(`${rejectsPath}.partial`, state?.rejects_bytes ?? 0);
  const orderPath = join(options.outDir, ORDER_FILE);
  const order = options.shard ? await ResumableFile.open(`${orderPath}.partial`, state?.order_bytes ?? 0) : undefined;

  await loadSqlParser();
  const { pool, tasks, total } = await buildPool(options);
  const tokenizer = await loadPromptTokenizer(options.setup.tokenizer);
  const redact = options.import.redact ?? "off";
  // Pool pieces are other trajectories' evidence, counted when those are compiled: redacted here, not counted again.
  const poolPieces = Object.fromEntries(Object.entries(pool.toJSON()).map(([domain, pieces]) => [domain, redactEvidence(pieces, redact).pieces]));
  const setup: CompileSetup = { ...options.setup, redact, pool: poolPieces, poolTasks: tasksOf(poolPieces, tasks), poolCounts: countBodies(poolPieces, tokenizer) };
  const threads = total === undefined ? options.workers : Math.min(options.workers, Math.max(1, Math.floor(total / TRAJECTORIES_PER_WORKER)));
  const workers = threads > 1 ? new WorkerPool<BatchItem[]>(siblingModule(import.meta.url, "worker"), threads, setup) : undefined;
  const local = workers ? undefined : new BatchCompiler(setup, tokenizer);
  const compile = (trajectories: Trajectory[]) =>
    trajectories.length === 0 ? Promise.resolve([]) : workers ? workers.run(trajectories) : Promise.resolve(local!.run(trajectories));

  let done = state?.done ?? 0;
  try {
    const batches = orderedMap(
      recordBatches(importTrajectories(options.inputs, options.import), done, options.shard),
      async (batch) => ({ ...batch, items: await compile(batch.records.flatMap(({ record }) => ("messages" in record ? [record] : []))) }),
      Math.max(2, threads * 2),
    );
    for await (const { records, read, items } of batches) {
      let next = 0;
      for (const { ordinal, record: entry } of records) {
        if ("messages" in entry) {
          stats.trajectory(entry);
          const item = items[next++]!;
          stats.evidence(item.secrets);
          if (item.kind === "sample") {
            samples.write(item.line);
            stats.sampled(item.summary);
          } else {
            rejects.write(`${JSON.stringify(item.drop)}\n`);
            stats.dropped(item.drop.domain, item.drop.reason, item.notes);
          }
        } else {
          rejects.write(`${JSON.stringify({ stage: "import", ...entry.reject })}\n`);
          stats.importRejected();
        }
        // one line per record, in samples.jsonl or in rejects.jsonl
        const sampled = "messages" in entry && items[next - 1]!.kind === "sample";
        order?.write(orderLine(ordinal, [sampled ? 1 : 0, sampled ? 0 : 1]));
      }
      done += read;
      const checkpoint: CompileState = {
        fingerprint,
        done,
        samples_bytes: await samples.flush(),
        rejects_bytes: await rejects.flush(),
        ...(order ? { order_bytes: await order.flush() } : {}),
        stats: stats.data,
      };
      await writeCheckpoint(statePath, JSON.stringify(checkpoint));
      options.onProgress?.(done, total, stats);
    }
  } catch (error) {
    await Promise.all([samples.close(), rejects.close(), order?.close()]);
    throw error;
  } finally {
    await workers?.close();
    local?.close();
  }
  await samples.finish(samplesPath);
  await rejects.finish(rejectsPath);
  await order?.finish(orderPath);
  await writeCheckpoint(join(options.outDir, "stats.json"), statsText(stats.data));
  if (options.shard) await writeManifest(options.outDir, { stage: "compile", shard: options.shard, run, files: ["samples.jsonl", "rejects.jsonl"] });
  await rm(statePath, { force: true });
  return stats;
}

interface RecordBatch {
  /** This shard's records (all of them without a shard), each with its position in the whole input. */
  records: { ordinal: number; record: Trajectory | { reject: Reject } }[];
  /** Records read for this batch, the other shards' included: what the checkpoint counts. */
  read: number;
}

/** The import stream cut into batches of trajectories and import rejects, skipping the first `skip` records. */
async function* recordBatches(events: AsyncIterable<ImportEvent>, skip: number, shard: Shard | undefined): AsyncGenerator<RecordBatch> {
  let index = 0;
  let batch: RecordBatch = { records: [], read: 0 };
  for await (const event of events) {
    if (event.type !== "trajectory" && !(event.type === "reject" && event.reject.scope === "record")) continue;
    const ordinal = index++;
    if (ordinal < skip) continue;
    batch.read++;
    const record = event.type === "trajectory" ? event.trajectory : { reject: event.reject };
    if (inShard("messages" in record ? record.id : rejectKey(record.reject), shard)) batch.records.push({ ordinal, record });
    if (batch.read >= BATCH_SIZE) {
      yield batch;
      batch = { records: [], read: 0 };
    }
  }
  if (batch.read > 0) yield batch;
}

/** An import reject's key for sharding: where it is. */
function rejectKey(reject: Reject): string {
  return JSON.stringify([reject.file, reject.locator]);
}

/**
 * First pass: a seeded, bounded sample of every trajectory's pieces, per domain, for distractors, and
 * the task identity of every trajectory (so a sample never gets distractors from its own task).
 */
async function buildPool(options: CompileRunOptions): Promise<{ pool: DistractorPool; tasks: Map<string, TaskIdentity>; total: number | undefined }> {
  const pool = new DistractorPool(options.setup.sample.seed, options.poolMaxPieces, options.poolMaxPieceChars, options.poolMaxChars);
  const tasks = new Map<string, TaskIdentity>();
  if (!options.setup.sample.distractors) return { pool, tasks, total: undefined };
  const resolver = new SourceResolver(options.setup.sources);
  let total = 0;
  try {
    for await (const event of importTrajectories(options.inputs, options.import)) {
      if (event.type === "trajectory") {
        pool.offer(event.trajectory.domain, extractEvidence(event.trajectory, resolver.for(event.trajectory)));
        tasks.set(event.trajectory.id, taskIdentity(event.trajectory));
      }
      if (event.type === "trajectory" || (event.type === "reject" && event.reject.scope === "record")) total++;
    }
  } finally {
    resolver.close();
  }
  return { pool, tasks, total };
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


