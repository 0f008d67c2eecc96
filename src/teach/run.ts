import { fileIdentity, keyHash, readCheckpoint, writeCheckpoint } from "../io/checkpoint.js";
import { rm } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { join } from "node:path";
import { type JsonLine, readJsonLines } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES, readLines } from "../io/lines.js";
import { LineBuffer } from "../io/line-buffer.js";
import { ResumableFile } from "../io/resumable.js";
import type { LlmClient } from "../llm/types.js";
import { Sample } from "../records/sample.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { orderedMap } from "../run/worker-pool.js";
import { Verifiers, type VerifySetup } from "../verify/index.js";
import { type SampleOutcome, type TaughtSample, type TeachSetup, teachSample } from "./candidates.js";
import { TeachStats, type TeachStatsData } from "./stats.js";
import { inShard, type Shard } from "../shard/partition.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import { statsText } from "../shard/stats.js";
import type { RemoteStage } from "../queue/remote.js";
import { taughtFromJob } from "./queue.js";

export interface TeachRunOptions {
  /** Samples JSONL from `acc compile` (gzip accepted). */
  input: string;
  /** Gets samples.jsonl (kept), rejects.jsonl (rejected candidates), outcomes.jsonl (one line per input line), stats.json. */
  outDir: string;
  /** The teacher (absent with `queue`: the workers have theirs). */
  client?: LlmClient;
  /** The client's endpoint (with `queue`, the queue's URL): part of what makes a run resumable (answers from another server are not this run's). */
  endpoint: string;
  /** Teach through a queue (`--queue`): each sample is a job for `acc worker`; this process verifies nothing itself. */
  queue?: (run: string) => Promise<RemoteStage>;
  setup: TeachSetup;
  /** Verifier settings; the judge's client is the caller's. */
  verify: VerifySetup;
  /** Samples in flight at once. */
  concurrency: number;
  /** Teach only this shard's samples (by sample id), and write what `acc merge` needs. */
  shard?: Shard;
  /** After each checkpoint: the stats, and the input lines read so far (other shards' lines included). */
  onProgress?: (stats: TeachStats, linesRead: number) => void;
}

const STATE_FILE = ".teach-state.json";
/** A checkpoint is written after this many samples, and every second while samples finish. */
const CHECKPOINT_SAMPLES = 256;
const CHECKPOINT_MS = 1000;

interface TeachState {
  fingerprint: string;
  done: number;
  samples_bytes: number;
  rejects_bytes: number;
  outcomes_bytes: number;
  order_bytes?: number;
  stats: TeachStatsData;
}

type Item =
  | { kind: "taught"; line: number; taught: TaughtSample }
  | { kind: "invalid"; line: number; detail: string }
  | { kind: "duplicate"; sample: Sample; line: number }
  /** Its job failed on every attempt (queue runs). */
  | { kind: "failed"; sample: Sample; line: number; detail: string }
  /** Another shard's sample. */
  | { kind: "elsewhere"; line: number };

/**
 * Teaches every sample of the input (see teachSample) with up to `concurrency` samples in flight,
 * writing results in input order whatever the concurrency. A checkpoint follows every few hundred
 * samples; a run killed at any point and rerun with the same input and settings resumes from it and
 * ends byte-identical to an uninterrupted run, and with the client's cache it sends no request whose
 * answer it had already received.
 */
export async function teachRun(options: TeachRunOptions): Promise<TeachStats> {
  const run = await fingerprintOf(options);
  const fingerprint = options.shard ? keyHash([run, options.shard]) : run;
  // first, so that a sandbox that cannot be set up stops the run before any file is made
  const verifiers = options.queue ? undefined : await Verifiers.create(options.verify);
  await makeDirectory(options.outDir);
  const statePath = join(options.outDir, STATE_FILE);
  const paths = { samples: join(options.outDir, "samples.jsonl"), rejects: join(options.outDir, "rejects.jsonl"), outcomes: join(options.outDir, "outcomes.jsonl") };
  const state = await readCheckpoint<TeachState>(statePath, fingerprint);
  const stats = state ? TeachStats.from(state.stats) : TeachStats.empty();
  const samples = await ResumableFile.open(`${paths.samples}.partial`, state?.samples_bytes ?? 0);
  const rejects = await ResumableFile.open(`${paths.rejects}.partial`, state?.rejects_bytes ?? 0);
  const outcomes = await ResumableFile.open(`${paths.outcomes}.partial`, state?.outcomes_bytes ?? 0);
  const orderPath = join(options.outDir, ORDER_FILE);
  const order = options.shard ? await ResumableFile.open(`${orderPath}.partial`, state?.order_bytes ?? 0) : undefined;
  // the partial file has just been cut back to the checkpoint
  const seen = state ? await idsWritten(`${paths.outcomes}.partial`) : new Set<string>();

  let done = state?.done ?? 0;
  // Lines wait in memory (as bytes) until a checkpoint takes them, together with the count and the
  // stats they go with, in one synchronous step; checkpoints then write one after another. So the byte
  // lengths and the count a checkpoint records always describe the same samples, and the loop does not
  // stop for the disk (unless two checkpoints are already waiting for it).
  const lines = { samples: new LineBuffer(), rejects: new LineBuffer(), outcomes: new LineBuffer() };
  let held = { order: [] as string[], jobs: [] as string[] };
  let sinceCheckpoint = 0;
  let queued = 0;
  let failure: unknown;
  let saving: Promise<void> = Promise.resolve();
  const checkpoint = () => {
    const batch = { samples: lines.samples.take(), rejects: lines.rejects.take(), outcomes: lines.outcomes.take(), ...held };
    const at = { done, stats: structuredClone(stats.data) };
    held = { order: [], jobs: [] };
    sinceCheckpoint = 0;
    queued++;
    saving = saving.then(async () => {
      samples.write(batch.samples);
      rejects.write(batch.rejects);
      outcomes.write(batch.outcomes);
      order?.write(batch.order.join(""));
      const next: TeachState = {
        fingerprint,
        done: at.done,
        samples_bytes: await samples.flush(),
        rejects_bytes: await rejects.flush(),
        outcomes_bytes: await outcomes.flush(),
        ...(order ? { order_bytes: await order.flush() } : {}),
        stats: at.stats,
      };
      await writeCheckpoint(statePath, JSON.stringify(next));
      // the checkpoint holds their results now
      await queue?.forget(batch.jobs);
      queued--;
      options.onProgress?.(stats, at.done);
    });
    saving.catch((error: unknown) => (failure ??= error));
    return saving;
  };
  // also on a timer: a slow sample at the head of the line must not hold back the progress behind it
  const timer = setInterval(() => {
    if (sinceCheckpoint > 0) void checkpoint();
  }, CHECKPOINT_MS);
  timer.unref();

  const handle = async (entry: JsonLine): Promise<Item> => {
    if (!inShard(recordKey(entry), options.shard)) return { kind: "elsewhere", line: entry.line };
    if ("error" in entry) return { kind: "invalid", line: entry.line, detail: entry.detail };
    const checked = validateFast(Sample, entry.value);
    if (!checked.ok) return { kind: "invalid", line: entry.line, detail: `not a valid sample: ${formatProblems(checked.problems)}` };
    if (seen.has(checked.value.id)) return { kind: "duplicate", sample: checked.value, line: entry.line };
    seen.add(checked.value.id);
    if (!queue) return { kind: "taught", line: entry.line, taught: await teachSample(checked.value, entry.line, options.client!, verifiers!, options.setup) };
    const outcome = await queue.process(checked.value.id, entry.line, checked.value);
    const taught = outcome.ok ? taughtFromJob(outcome.value, checked.value, entry.line) : undefined;
    if (taught && "kept" in taught) return { kind: "taught", line: entry.line, taught };
    const detail = outcome.ok ? taught!.malformed : `${outcome.reason} (${outcome.attempts} attempts)`;
    return { kind: "failed", sample: checked.value, line: entry.line, detail };
  };

  const queue = options.queue ? await options.queue(fingerprint) : undefined;
  try {
    for await (const item of orderedMap(skip(readJsonLines(options.input, DEFAULT_MAX_LINE_BYTES), done), handle, options.concurrency)) {
      if (failure !== undefined) throw failure;
      const before = [lines.samples.count, lines.rejects.count, lines.outcomes.count];
      if (item.kind === "elsewhere") {
        // another shard's: read (the checkpoint counts input lines), not written
      } else if (item.kind === "taught") {
        for (const sample of item.taught.kept) lines.samples.add(JSON.stringify(sample));
        for (const reject of item.taught.rejects) lines.rejects.add(JSON.stringify(reject));
        lines.outcomes.add(JSON.stringify(item.taught.outcome));
        stats.taught(item.taught);
      } else if (item.kind === "failed") {
        const outcome = failedOutcome(item.sample, item.line, item.detail);
        lines.outcomes.add(JSON.stringify({ file: options.input, ...outcome }));
        stats.taught({ kept: [], rejects: [], outcome });
      } else if (item.kind === "duplicate") {
        lines.outcomes.add(JSON.stringify(duplicateOutcome(item.sample, item.line)));
        stats.duplicate(item.sample.meta.domain);
      } else {
        lines.outcomes.add(JSON.stringify({ file: options.input, line: item.line, outcome: "rejected", reason: "invalid-sample", detail: item.detail }));
        stats.invalidLine();
      }
      if (item.kind === "taught" || item.kind === "failed") held.jobs.push(item.kind === "taught" ? item.taught.outcome.sample_id : item.sample.id);
      if (order && item.kind !== "elsewhere") held.order.push(orderLine(item.line, [lines.samples.count - before[0]!, lines.rejects.count - before[1]!, lines.outcomes.count - before[2]!]));
      done++;
      if (++sinceCheckpoint >= CHECKPOINT_SAMPLES) {
        void checkpoint();
        if (queued > 2) await saving;
      }
    }
    await checkpoint();
  } finally {
    clearInterval(timer);
    await saving.catch(() => undefined);
    await verifiers?.close();
    await queue?.close();
  }
  await samples.finish(paths.samples);
  await rejects.finish(paths.rejects);
  await outcomes.finish(paths.outcomes);
  await order?.finish(orderPath);
  await writeCheckpoint(join(options.outDir, "stats.json"), statsText(stats.data));
  if (options.shard) await writeManifest(options.outDir, { stage: "teach", shard: options.shard, run, files: ["samples.jsonl", "rejects.jsonl", "outcomes.jsonl"] });
  await rm(statePath, { force: true });
  return stats;
}

function duplicateOutcome(sample: Sample, line: number): SampleOutcome {
  return rejectedOutcome(sample, line, "duplicate-sample", "a sample with this id came earlier in the input");
}

/** A sample whose job failed on every attempt (a poisoned record, or a worker's malformed result). */
function failedOutcome(sample: Sample, line: number, detail: string): SampleOutcome {
  return rejectedOutcome(sample, line, "job-failed", detail);
}

function rejectedOutcome(sample: Sample, line: number, reason: string, detail: string): SampleOutcome {
  return {
    sample_id: sample.id,
    domain: sample.meta.domain,
    line,
    outcome: "rejected",
    reason,
    detail,
    reference: null,
    candidates: 0,
    kept: [],
    prompt_tokens: 0,
    completion_tokens: 0,
  };
}

/** A line's key for sharding: the sample's id, or (for a line that is not a sample) its line number. */
function recordKey(entry: JsonLine): string {
  const id = "value" in entry && typeof entry.value === "object" && entry.value !== null ? (entry.value as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : `line:${entry.line}`;
}

function skip<T>(items: AsyncIterable<T>, count: number): AsyncIterable<T> {
  if (count === 0) return items;
  return (async function* () {
    let index = 0;
    for await (const item of items) if (index++ >= count) yield item;
  })();
}

/** Sample ids already given an outcome before the checkpoint (so a resumed run still spots duplicates). */
async function idsWritten(path: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const line of readLines(path)) {
    if (!("text" in line)) continue;
    const outcome = JSON.parse(line.text) as { sample_id?: string };
    if (outcome.sample_id !== undefined) ids.add(outcome.sample_id);
  }
  return ids;
}

/** Same input file (path, size, time), endpoint and settings → same fingerprint → a rerun resumes. */
async function fingerprintOf(options: TeachRunOptions): Promise<string> {
  // how many SQL processes and test runs go at once changes no output
  const { judge, jobs: _jobs, ...verify } = options.verify;
  const key = ({
    version: 1,
    input: await fileIdentity(options.input),
    endpoint: options.endpoint,
    setup: options.setup,
    verify,
    judge: judge ? { model: judge.model, rubric: judge.rubric ?? null, maxTokens: judge.maxTokens ?? null } : null,
  });
  return keyHash(key);
}


