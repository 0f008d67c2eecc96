import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { LineSink } from "../io/atomic.js";
import { keyHash, readCheckpoint, writeCheckpoint } from "../io/checkpoint.js";
import { trackTemp } from "../io/cleanup.js";
import { makeDirectory } from "../io/directory.js";
import { LineBuffer } from "../io/line-buffer.js";
import { ResumableFile } from "../io/resumable.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import type { Shard } from "../shard/partition.js";
import { statsText } from "../shard/stats.js";
import { orderedMap, type OrderedWindow } from "./worker-pool.js";

/**
 * The lifecycle every resumable stage shares (import, compile and its import pass, teach, rollout, decontaminate): the checkpoint and its fingerprint,
 * the JSONL outputs cut back to the checkpoint and appended to, the ordered map over the work left, the
 * stats, the shard's order file and manifest, and what is removed or renamed at the end. A stage gives
 * one method per record (`process`, run within `window`) and the lines each result writes (`write`,
 * called in input order); see docs/architecture.md.
 */
export interface StageSpec<S extends { data: unknown }> {
  /** The stage's name: the checkpoint is `.<name>-state.json`, the shard manifest names it. */
  name: string;
  outDir: string;
  /** The JSONL files written, relative to `outDir`; `StageOutput.line` names one by its index here. */
  files: readonly string[];
  /**
   * Outputs written to a sink instead of their file (by index in `files`: stdout, a special file such as
   * /dev/null). What a sink took cannot be taken back: a stage with one saves no checkpoint and never resumes.
   */
  sinks?: readonly (LineSink | undefined)[];
  /** An output left empty is not written (an earlier file of its name stays as it was). */
  skipEmpty?: boolean;
  /** The checkpoint's file name in `outDir`, when not `.<name>-state.json` (import's is named after its output). */
  state?: string;
  /** The fingerprint of the inputs and settings, without the shard: a rerun with the same one resumes. */
  run: string;
  shard?: Shard;
  /** Fresh stats, or the stats a checkpoint saved (`saved` is an earlier `stats.data`). */
  stats: (saved?: unknown) => S;
  /** False for a pass whose stats are only where it is, for its checkpoints (compile's import pass): no stats.json. */
  statsFile?: boolean;
}

export interface StageWork<I, R> {
  /** The work left: everything after the first `Stage.done` records. */
  inputs: AsyncIterable<I>;
  /** The per-item work, run within `window` (an item needing no wait may give its result at once). */
  process: (input: I) => R | Promise<R>;
  /** Takes a result, in input order: its lines and stats. */
  write: (result: R, out: StageOutput) => void;
  /** Items run at once, or how many run and how many (and how much) are held waiting for their turn (orderedMap). */
  window: number | OrderedWindow<I>;
  /** A checkpoint after this many items (default 1), and every `ms` while items finish. */
  checkpoint?: { items?: number; ms?: number };
  /** Keys given to `StageOutput.release`, once a checkpoint holds their results (a queue forgets their jobs). */
  release?: (keys: string[]) => Promise<void>;
  /** After each checkpoint, with the records done. */
  onCheckpoint?: (done: number) => void;
  /** Frees what `process` used (workers, clients, queues), on every exit path, before the outputs are renamed. */
  close?: () => Promise<void>;
  /** After the outputs are in place, before stats.json (outputs derived from them: rollout's rows.parquet). */
  finish?: () => Promise<void>;
}

export interface StageOutput {
  /** Adds a line (without its newline) to the `file`-th output. */
  line(file: number, text: string): void;
  /** Adds `lines` whole lines already encoded, each ending in a newline (a worker's block of several records). */
  block(file: number, bytes: Uint8Array, lines: number): void;
  /**
   * Ends a record: its lines are those added since the last one, or `counts` lines of each output (a record
   * whose lines came in a block); `ordinal` is its place in the whole input (the shard's order file).
   */
  record(ordinal: number, counts?: readonly number[]): void;
  /** A record read and left to another shard: counted as done, nothing written. */
  pass(): void;
  release(key: string): void;
}

interface StageState {
  fingerprint: string;
  /** Records done (written or passed), counted from the start of the input. */
  done: number;
  /** Bytes of each output's partial file, the order file last when sharded. */
  bytes: number[];
  stats: unknown;
}

const count = z.number().int().nonnegative();
const StageStateSchema: z.ZodType<StageState> = z.object({ fingerprint: z.string(), done: count, bytes: z.array(count), stats: z.unknown() });

/** Bumped when StageState changes, so a checkpoint of another layout is not resumed. */
const STATE_LAYOUT = 1;

/** Where an output's bytes go: its `.partial` file, or a sink. */
type OutputFile = Pick<ResumableFile, "write" | "flush" | "finish" | "close">;

/** An output given to a sink: bytes go to it at each checkpoint; committed at the end, aborted on a failure. */
class SinkOutput implements OutputFile {
  private pending: (string | Buffer)[] = [];
  private size = 0;

  constructor(private readonly sink: LineSink) {}

  write(data: string | readonly Buffer[]): void {
    if (typeof data === "string") this.pending.push(data);
    else this.pending.push(...data);
  }

  async flush(): Promise<number> {
    const parts = this.pending;
    this.pending = [];
    for (const part of parts) {
      await this.sink.write(part);
      this.size += part.length;
    }
    return this.size;
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.sink.commit();
  }

  close(): Promise<void> {
    return this.sink.abort();
  }
}

export class Stage<S extends { data: unknown }> {
  private constructor(
    private readonly spec: StageSpec<S>,
    private readonly fingerprint: string,
    private readonly files: OutputFile[],
    /** Records done before this run: the inputs start after them. */
    readonly done: number,
    readonly stats: S,
    readonly resumed: boolean,
    /** False when an output goes to a sink: no checkpoint is saved, and the partial files are temporary. */
    private readonly resumable: boolean,
    /** Stops tracking the partial files as temporary (a run that cannot resume), once they are in place. */
    private readonly untrack: () => void,
  ) {}

  /** Makes the output folder and resumes from its checkpoint when the fingerprint matches, else starts afresh. */
  static async open<S extends { data: unknown }>(spec: StageSpec<S>): Promise<Stage<S>> {
    await makeDirectory(spec.outDir);
    const fingerprint = keyHash([STATE_LAYOUT, spec.run, spec.shard ?? null]);
    const names = spec.shard ? [...spec.files, ORDER_FILE] : spec.files;
    const resumable = !spec.sinks?.some((sink) => sink !== undefined);
    const saved = resumable ? await readCheckpoint(statePath(spec), fingerprint, StageStateSchema) : undefined;
    // a checkpoint whose partial outputs are gone was left by a run stopped after it renamed them into place
    // (a `finish` that failed, a kill): resumed, the missing files would be made up of zeros; the run starts afresh
    const state = saved && names.every((name, i) => (saved.bytes[i] ?? 0) === 0 || existsSync(join(spec.outDir, `${name}.partial`))) ? saved : undefined;
    const files: OutputFile[] = [];
    const temporary: (() => void)[] = [];
    for (const [i, name] of names.entries()) {
      const sink = spec.sinks?.[i];
      if (sink) {
        files.push(new SinkOutput(sink));
        continue;
      }
      const partial = join(spec.outDir, `${name}.partial`);
      await makeDirectory(dirname(partial), join(spec.outDir, name));
      files.push(await ResumableFile.open(partial, state?.bytes[i] ?? 0));
      // nothing resumes from it: removed on every exit path, a signal included, as any temporary file
      if (!resumable) temporary.push(trackTemp(partial));
    }
    const untrack = () => temporary.forEach((stop) => stop());
    return new Stage(spec, fingerprint, files, state?.done ?? 0, spec.stats(state?.stats), state !== undefined, resumable, untrack);
  }

  /** The partial file of an output, as cut back to the checkpoint (before `run`). */
  partial(name: string): string {
    return join(this.spec.outDir, `${name}.partial`);
  }

  /**
   * Runs the work left and finishes the stage: the outputs renamed into place, stats.json, the shard
   * manifest, and the checkpoint removed. Lines wait in memory until a checkpoint takes them, with the
   * count and stats they go with, in one synchronous step; checkpoints are then written one after another,
   * so the byte lengths and the count a checkpoint records always describe the same records, and the loop
   * waits for the disk only when two checkpoints are already waiting for it.
   */
  async run<I, R>(work: StageWork<I, R>): Promise<S> {
    const { spec, files, stats } = this;
    const checkpointPath = statePath(spec);
    const order = spec.shard ? files[files.length - 1] : undefined;
    let done = this.done;
    // lines are held as UTF-8 bytes: a held string would survive young-generation collections, copied at each
    const lines = spec.files.map(() => new LineBuffer());
    const counts = spec.files.map(() => 0);
    let held = { order: [] as string[], keys: [] as string[] };
    let sinceCheckpoint = 0;
    let queued = 0;
    let failure: unknown;
    let saving: Promise<void> = Promise.resolve();
    const checkpoint = () => {
      const batch = { lines: lines.map((buffer) => buffer.take()), ...held };
      const at = { done, stats: structuredClone(stats.data) };
      held = { order: [], keys: [] };
      sinceCheckpoint = 0;
      queued++;
      saving = saving.then(async () => {
        for (const [i, bytes] of batch.lines.entries()) files[i]!.write(bytes);
        if (order && batch.order.length > 0) order.write(batch.order.join(""));
        const bytes: number[] = [];
        for (const file of files) bytes.push(await file.flush());
        const state: StageState = { fingerprint: this.fingerprint, done: at.done, bytes, stats: at.stats };
        if (this.resumable) await writeCheckpoint(checkpointPath, JSON.stringify(state));
        if (batch.keys.length > 0) await work.release?.(batch.keys);
        queued--;
        work.onCheckpoint?.(at.done);
      });
      saving.catch((error: unknown) => (failure ??= error));
      return saving;
    };
    const out: StageOutput = {
      line: (file, text) => {
        lines[file]!.add(text);
        counts[file]!++;
      },
      block: (file, bytes, count) => {
        lines[file]!.addBlock(bytes, count);
        counts[file]! += count;
      },
      record: (ordinal, given) => {
        if (order) held.order.push(orderLine(ordinal, given ?? counts));
        counts.fill(0);
        done++;
      },
      pass: () => void done++,
      release: (key) => void held.keys.push(key),
    };
    const every = work.checkpoint?.items ?? 1;
    // also on a timer: a slow item at the head of the line must not hold back the progress behind it
    const timer = work.checkpoint?.ms === undefined ? undefined : setInterval(() => sinceCheckpoint > 0 && void checkpoint(), work.checkpoint.ms);
    timer?.unref();
    try {
      for await (const result of orderedMap(work.inputs, work.process, work.window)) {
        if (failure !== undefined) throw failure;
        work.write(result, out);
        if (++sinceCheckpoint >= every) {
          void checkpoint();
          if (queued > 2) await saving;
        }
      }
      await checkpoint();
    } catch (error) {
      clearInterval(timer);
      await saving.catch(() => undefined);
      await work.close?.();
      // kept on disk, as far as the checkpoint says, for a resumed run; removed when no run can resume from them
      await Promise.all(files.map((file) => file.close()));
      if (!this.resumable) await this.discard();
      throw error;
    }
    clearInterval(timer);
    await work.close?.();
    for (const [i, name] of spec.files.entries()) {
      const file = files[i]!;
      if (spec.skipEmpty && file instanceof ResumableFile && (await file.flush()) === 0) await file.discard();
      else await file.finish(join(spec.outDir, name));
    }
    await order?.finish(join(spec.outDir, ORDER_FILE));
    this.untrack();
    await work.finish?.();
    if (spec.statsFile !== false) await writeCheckpoint(join(spec.outDir, "stats.json"), statsText(stats.data));
    if (spec.shard) await writeManifest(spec.outDir, { stage: spec.name, shard: spec.shard, run: spec.run, files: [...spec.files] });
    if (this.resumable) await rm(checkpointPath, { force: true });
    return stats;
  }

  /** Closes the outputs without running (a stage that fails before its work starts). */
  async close(): Promise<void> {
    await Promise.all(this.files.map((file) => file.close()));
  }

  /** After a failed `run`: removes the partial outputs and the checkpoint (a run stopped on purpose, that leaves nothing behind). */
  async discard(): Promise<void> {
    const names = this.spec.shard ? [...this.spec.files, ORDER_FILE] : this.spec.files;
    const partials = names.filter((_, i) => this.spec.sinks?.[i] === undefined).map((name) => join(this.spec.outDir, `${name}.partial`));
    await Promise.all([...partials, ...(this.resumable ? [statePath(this.spec)] : [])].map((path) => rm(path, { force: true })));
  }
}

function statePath(spec: StageSpec<{ data: unknown }>): string {
  return join(spec.outDir, spec.state ?? `.${spec.name}-state.json`);
}
