import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AccError } from "../errors/acc-error.js";
import { readCheckpoint, writeCheckpoint } from "../io/checkpoint.js";
import { readOwnJsonLines } from "../io/own-json-lines.js";
import { type ChunkPlace, readLineChunks } from "../io/chunks.js";
import { type JsonLine, toJsonLine } from "../io/json-lines.js";
import { type FileStart, LineSplitter, lineTooLong } from "../io/lines.js";
import { convertItems } from "../import/convert.js";
import { detectionThenRecords, type ImportEvent, type ImportOptions, openUnit, type PreparedImport } from "../import/run.js";
import { CHUNK_BYTES } from "../import/write.js";
import type { Reject } from "../formats/types.js";
import { Domain, type Trajectory } from "../records/trajectory.js";
import { EvidencePiece } from "../records/sample.js";
import { Stage } from "../run/stage.js";
import { inShard, type Shard } from "../shard/partition.js";
import { DistractorPool, type PoolCheckpoint, type PoolLogEntry } from "./distractor-pool.js";
import { extractEvidence } from "./evidence/index.js";
import type { PromptTokenizer } from "./pack.js";
import { redactEvidence } from "./redact.js";
import { blockBody } from "./render.js";
import { SourceResolver, type SourceOptions } from "./sources.js";
import { type TaskIdentity, taskIdentity } from "./task-identity.js";

export interface ImportPassOptions {
  outDir: string;
  import: ImportOptions;
  /** The distractor pool's seed and bounds; none without distractors. */
  pool?: { seed: number; maxPieces: number; maxChars: number; maxPieceChars: number; sources: SourceOptions };
  shard?: Shard;
}

/** A record of the input: a trajectory or an import reject, with its place in the whole input. */
export type InputRecord = { ordinal: number } & ({ trajectory: Trajectory } | { reject: Reject });

/** What the import pass leaves for the compile pass (and for a resumed run, which imports nothing again). */
export interface Imported {
  fingerprint: string;
  /** Records in the imported file. */
  total: number;
  pool: Partial<Record<Domain, EvidencePiece[]>>;
  poolTasks: Record<string, TaskIdentity>;
  poolCounts: Record<string, number>;
}

/** The run's records as imported once (this shard's, with their place in the whole input), and what the pool pass made of them. */
export const IMPORTED_FILE = ".compile-import.jsonl";
/** Every piece the pool met (see DistractorPool.offer), and the task identities of the trajectories it took pieces from. */
const POOL_LOG = ".compile-pool.jsonl";
const TASKS_LOG = ".compile-tasks.jsonl";
const POOL_FILE = ".compile-pool.json";
/** The outputs, by their index in the stage's files. */
const RECORDS = 0;
const POOL = 1;
const TASKS = 2;

const count = z.number().int().nonnegative();
const TaskIdentitySchema: z.ZodType<TaskIdentity> = z.object({ id: z.string().optional(), question: z.string().optional(), signature: z.array(z.number()).optional() });
/** The pool checkpoint as read back; its pieces are checked as evidence pieces. */
const ImportedSchema: z.ZodType<Imported> = z.object({
  fingerprint: z.string(),
  total: count,
  pool: z.partialRecord(Domain, z.array(EvidencePiece)),
  poolTasks: z.record(z.string(), TaskIdentitySchema),
  poolCounts: z.record(z.string(), count),
});
/** The lines of the pool's log and of the tasks log, as a resumed pass reads them back. */
const PoolLogLine: z.ZodType<PoolLogEntry> = z.union([z.string(), EvidencePiece]);
const TasksLogLine: z.ZodType<[string, TaskIdentity]> = z.tuple([z.string(), TaskIdentitySchema]);

/** Trajectories and rejects taken at once: a batch never spans two units, so a checkpoint after it knows which units are done. */
const BATCH_SIZE = 8;

/** Where the import pass is, saved with each of its checkpoints. */
interface PassPlace {
  /** The unit being read and its records already taken (a resumed pass opens no unit before it). */
  unit: number;
  within: number;
  /** In a row file: the chunk the last record taken came from, and the records of it taken (a resumed pass reads on from there). */
  rows?: RowsPlace;
  /** Records of the whole input taken, and of this shard written to the imported file. */
  ordinal: number;
  total: number;
  /** Where the distractor pool is in its log (with distractors). */
  pool?: PoolCheckpoint;
}

/** Where a chunk of a row file starts, and how many of its records were taken. */
interface RowsPlace {
  chunk: ChunkPlace;
  taken: number;
}

interface Batch {
  unit: number;
  events: ImportEvent[];
  /** In a row file: where the unit is after this batch. */
  rows?: RowsPlace;
  /** The unit's last batch. */
  end: boolean;
}

/**
 * The import pass, once per run, on the stage runner: every record of the inputs, this shard's written to
 * the imported file, and (with distractors) a seeded, bounded sample of every trajectory's pieces per
 * domain, with the task identity of the trajectories they come from (so a sample never gets distractors
 * from its own task). A checkpoint after every few batches says which units are done, with the pool's
 * place in its logs: a run killed half-way opens none of the done units again. Its results are kept until
 * the run ends, so a resumed run that finds them imports nothing again.
 */
export async function importPass(options: ImportPassOptions, prepared: PreparedImport, fingerprint: string, tokenizer: PromptTokenizer, onBatch: () => void): Promise<Imported> {
  const poolPath = join(options.outDir, POOL_FILE);
  const saved = await readCheckpoint(poolPath, fingerprint, ImportedSchema);
  if (saved && existsSync(join(options.outDir, IMPORTED_FILE))) return saved;
  let place: PassPlace = { unit: 0, within: 0, ordinal: 0, total: 0 };
  let pool: DistractorPool | undefined;
  const stage = await Stage.open({
    name: "compile-import",
    outDir: options.outDir,
    files: [IMPORTED_FILE, POOL_LOG, TASKS_LOG],
    run: fingerprint,
    statsFile: false,
    stats: (restored) => {
      if (restored) place = restored as PassPlace;
      return { get data(): PassPlace { return { ...place, ...(pool ? { pool: pool.checkpoint() } : {}) }; } };
    },
  });
  const settings = options.pool;
  const resolver = settings ? new SourceResolver(settings.sources) : undefined;
  /** Identities of the trajectories (by id) the pool ever took a piece from, the latest of each id. */
  const tasks = new Map<string, TaskIdentity>();
  try {
    if (settings) {
      const log: PoolLogEntry[] = [];
      if (stage.resumed) for await (const entry of readLog(stage.partial(POOL_LOG), PoolLogLine, "a line of the distractor pool's log", options.outDir)) log.push(entry);
      if (place.pool) checkHeldPieces(place.pool, log, stage.partial(POOL_LOG), options.outDir);
      pool = new DistractorPool(settings.seed, settings.maxPieces, settings.maxPieceChars, settings.maxChars, place.pool ? { checkpoint: place.pool, log } : undefined);
      if (stage.resumed) for await (const [id, identity] of readLog(stage.partial(TASKS_LOG), TasksLogLine, "a line of the distractor pool's tasks log", options.outDir)) tasks.set(id, identity);
    }
  } catch (error) {
    await stage.close();
    resolver?.close();
    throw error;
  }
  let imported: Imported | undefined;
  await stage.run({
    inputs: batches(prepared, { unit: place.unit, within: place.within, ...(place.rows ? { rows: place.rows } : {}) }),
    process: (batch: Batch) => batch,
    write: ({ unit, events, rows, end }, out) => {
      for (const event of events) {
        place.within++;
        let record: InputRecord;
        if (event.type === "trajectory") {
          const trajectory = event.trajectory;
          if (pool) {
            const offered = pool.offer(trajectory.domain, extractEvidence(trajectory, resolver!.for(trajectory)));
            for (const line of offered.log) out.line(POOL, line);
            if (offered.took || tasks.has(trajectory.id)) {
              const identity = taskIdentity(trajectory);
              tasks.set(trajectory.id, identity);
              out.line(TASKS, JSON.stringify([trajectory.id, identity]));
            }
          }
          record = { ordinal: place.ordinal++, trajectory };
        } else if (event.type === "reject") {
          record = { ordinal: place.ordinal++, reject: event.reject };
        } else continue;
        if (!inShard("trajectory" in record ? record.trajectory.id : rejectKey(record.reject), options.shard)) {
          out.pass();
          continue;
        }
        out.line(RECORDS, JSON.stringify(record));
        out.record(record.ordinal);
        place.total++;
      }
      if (rows) place.rows = rows;
      if (end) place = { ordinal: place.ordinal, total: place.total, unit: unit + 1, within: 0 };
      onBatch();
    },
    window: 2,
    checkpoint: { items: 8, ms: 1000 },
    close: () => Promise.resolve(resolver?.close()),
    finish: async () => {
      const redact = options.import.redact ?? "off";
      // Pool pieces are other trajectories' evidence, counted when those are compiled: redacted here, not counted again.
      const poolPieces = Object.fromEntries(Object.entries(pool?.toJSON() ?? {}).map(([domain, pieces]) => [domain, redactEvidence(pieces, redact).pieces]));
      imported = { fingerprint, total: place.total, pool: poolPieces, poolTasks: tasksOf(poolPieces, tasks), poolCounts: countBodies(poolPieces, tokenizer) };
      await writeCheckpoint(poolPath, JSON.stringify(imported));
    },
  });
  await Promise.all([POOL_LOG, TASKS_LOG].map((name) => rm(join(options.outDir, name), { force: true })));
  return imported!;
}

/** Removes what the import pass left for the compile pass, once the run is done. */
export async function removeImported(outDir: string): Promise<void> {
  await Promise.all([IMPORTED_FILE, POOL_FILE].map((name) => rm(join(outDir, name), { force: true })));
}

/**
 * The records (trajectories and rejects) of every unit from `from`, in batches; the records of `from.unit` before
 * `from.within` are skipped. A row file is read by chunks of lines, and each batch says which chunk its last record
 * came from: a resumed pass reads the file on from that chunk (`from.rows`), not from its start.
 */
async function* batches(prepared: PreparedImport, from: Pick<PassPlace, "unit" | "within" | "rows">): AsyncGenerator<Batch> {
  for (let unit = from.unit; unit < prepared.units.length; unit++) {
    const resumed = unit === from.unit ? from : undefined;
    const path = prepared.units[unit]!.path;
    const opened = await openUnit(prepared.units[unit]!, prepared);
    let rows: RowReader | undefined;
    let records: AsyncIterable<ImportEvent> | undefined;
    if (opened.importer !== undefined && opened.importer.rowBased === true && opened.input.container === "jsonl") {
      rows = new RowReader(path, prepared.limits.maxLineBytes, resumed?.rows?.chunk, opened.input.start);
      records = convertItems(opened.importer, { container: "jsonl", file: path, lines: rows.lines() }, path, prepared.convert);
    } else if (opened.importer !== undefined) records = convertItems(opened.importer, opened.input, path, prepared.convert);
    let skip = resumed?.rows?.taken ?? resumed?.within ?? 0;
    // the records of the chunk read from are counted again from its start, the ones taken skipped
    let place: RowsPlace | undefined = resumed?.rows ? { chunk: resumed.rows.chunk, taken: 0 } : undefined;
    let events: ImportEvent[] = [];
    for await (const event of detectionThenRecords(opened.events, records)) {
      if (event.type !== "trajectory" && !(event.type === "reject" && event.reject.scope === "record")) continue;
      // the reader is lazy: the chunk being read is the one this record came from
      if (rows) place = place?.chunk.offset === rows.chunk.offset ? { chunk: place.chunk, taken: place.taken + 1 } : { chunk: rows.chunk, taken: 1 };
      if (skip > 0) {
        skip--;
        continue;
      }
      events.push(event);
      if (events.length === BATCH_SIZE) {
        yield { unit, events, ...(place ? { rows: place } : {}), end: false };
        events = [];
      }
    }
    yield { unit, events, end: true };
  }
}

/** The lines of a row file, read by chunks (as `acc import` reads it), from `from` on; `chunk` is where the chunk being read starts. */
class RowReader {
  chunk: ChunkPlace;

  constructor(
    private readonly path: string,
    private readonly maxLineBytes: number,
    private readonly from: ChunkPlace | undefined,
    private readonly start: FileStart | undefined,
  ) {
    this.chunk = from ?? { offset: 0, line: 1 };
  }

  async *lines(): AsyncGenerator<JsonLine> {
    for await (const chunk of readLineChunks(this.path, CHUNK_BYTES, this.maxLineBytes, this.from, this.start)) {
      if ("tooLong" in chunk) {
        const { line, size } = chunk.tooLong;
        // what LineSplitter says of a line too long, so the reject is the same as a line read whole
        yield { line, error: "line-too-long", detail: lineTooLong(size, this.maxLineBytes) };
      } else {
        const splitter = new LineSplitter(this.maxLineBytes, chunk.firstLine);
        for (const raw of splitter.push(chunk.bytes)) yield toJsonLine(raw);
        for (const raw of splitter.end()) yield toJsonLine(raw);
      }
      this.chunk = chunk.end;
    }
  }
}

/**
 * Each piece the checkpoint says the pool holds is a piece line of its log (not an id line, not past its
 * end): a log changed after the run stopped would otherwise give the pool holes.
 */
function checkHeldPieces(checkpoint: PoolCheckpoint, log: readonly PoolLogEntry[], path: string, outDir: string): void {
  for (const lines of Object.values(checkpoint.slots)) {
    for (const line of lines ?? []) {
      if (typeof log[line] === "object") continue;
      const reason = line < log.length ? "the checkpoint holds this line's piece, and the line is an id" : `the checkpoint holds the piece of line ${line + 1}, and the log has ${log.length} lines`;
      const at = Math.min(line, log.length) + 1;
      throw new AccError(`${path}:${at}: not a line of the distractor pool's log: ${reason}`, { code: "wrong-shape", file: path, line: at, fix: changedLogFix(outDir) });
    }
  }
}

function changedLogFix(outDir: string): string {
  return `the file was changed after the run stopped: delete ${join(outDir, ".compile-import-state.json")} and run again (the import pass starts over)`;
}

/** A log of the import pass, read back to resume it: a line that is not what the pass wrote stops the run. */
function readLog<T>(path: string, schema: z.ZodType<T>, what: string, outDir: string): AsyncGenerator<T> {
  return readOwnJsonLines(path, schema, {
    what,
    fix: changedLogFix(outDir),
  });
}

/** An import reject's key for sharding: where it is. */
function rejectKey(reject: Reject): string {
  return JSON.stringify([reject.file, reject.locator]);
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
