import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { type JsonLine, toJsonLine } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES, type RawLine, readLines } from "../io/lines.js";
import type { LlmClient } from "../llm/types.js";
import { Sample } from "../records/sample.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { Stage } from "../run/stage.js";
import { Verifiers, type VerifySetup } from "../verify/index.js";
import { type SampleOutcome, type TaughtSample, type TeachSetup, teachSample } from "./candidates.js";
import { outcomeIds } from "./outcome-ids.js";
import { TeachStats, type TeachStatsData } from "./stats.js";
import { inShard, type Shard } from "../shard/partition.js";
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

/** The outputs, by their index in the stage's files. */
const SAMPLES = 0;
const REJECTS = 1;
const OUTCOMES = 2;
/**
 * A checkpoint is written every second while samples finish, and after this many samples: the second
 * bounds what a kill loses; the count only matters when samples finish by the thousand per second, where
 * a checkpoint (a new state file renamed into place: ~0.7–1 ms of CPU, mostly the file's creation) every
 * 256 cost ~3 µs a sample.
 */
const CHECKPOINT_SAMPLES = 1024;
const CHECKPOINT_MS = 1000;

/**
 * Samples held per sample in flight: started, and finished or not, waiting for those before them to be
 * written. Answer times have a long tail (a reasoning trace ten times the median's length); with only the
 * samples in flight held, one slow answer at the head stopped every new request once those behind it were
 * done. Their input lines hold HELD_CHARS characters at most (a held sample keeps about its line's size).
 */
const HELD_SAMPLES = 32;
const HELD_CHARS = 64 * 1024 * 1024;

/** A line's weight in the window: its characters. */
function lineChars(raw: RawLine): number {
  return "text" in raw ? raw.text.length : 0;
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
  // first, so that a sandbox that cannot be set up stops the run before any file is made
  const verifiers = options.queue ? undefined : await Verifiers.create(options.verify);
  let queue: RemoteStage | undefined;
  const close = async () => {
    await verifiers?.close();
    await queue?.close();
  };
  const stage = await Stage.open({
    name: "teach",
    outDir: options.outDir,
    files: ["samples.jsonl", "rejects.jsonl", "outcomes.jsonl"],
    run,
    ...(options.shard ? { shard: options.shard } : {}),
    stats: (saved) => (saved ? TeachStats.from(saved as TeachStatsData) : TeachStats.empty()),
  }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  const { stats } = stage;
  let seen: Set<string>;
  try {
    // the partial file has just been cut back to the checkpoint
    seen = stage.resumed ? await outcomeIds(stage.partial("outcomes.jsonl")) : new Set<string>();
    queue = options.queue ? await options.queue(options.shard ? keyHash([run, options.shard]) : run) : undefined;
  } catch (error) {
    await close();
    await stage.close();
    throw error;
  }

  /** A queued sample's job, and what its result becomes. */
  const taughtRemotely = async (remote: RemoteStage, sample: Sample, line: number): Promise<Item> => {
    const outcome = await remote.process(sample.id, line, sample);
    const taught = outcome.ok ? taughtFromJob(outcome.value, sample, line) : undefined;
    if (taught && "kept" in taught) return { kind: "taught", line, taught };
    const detail = outcome.ok ? taught!.malformed : `${outcome.reason} (${outcome.attempts} attempts)`;
    return { kind: "failed", sample, line, detail };
  };

  // not async, and each line parsed here rather than by one more async generator per line: no frame of
  // this function is held while a sample's requests are out, and a line takes one generator step fewer
  const handle = (raw: RawLine): Item | Promise<Item> => {
    const entry = toJsonLine(raw);
    if (!inShard(recordKey(entry), options.shard)) return { kind: "elsewhere", line: entry.line };
    if ("error" in entry) return { kind: "invalid", line: entry.line, detail: entry.detail };
    const checked = validateFast(Sample, entry.value);
    if (!checked.ok) return { kind: "invalid", line: entry.line, detail: `not a valid sample: ${formatProblems(checked.problems)}` };
    if (seen.has(checked.value.id)) return { kind: "duplicate", sample: checked.value, line: entry.line };
    seen.add(checked.value.id);
    if (queue) return taughtRemotely(queue, checked.value, entry.line);
    return teachSample(checked.value, entry.line, options.client!, verifiers!, options.setup).then(taughtItem);
  };

  return stage.run({
    inputs: skip(readLines(options.input, DEFAULT_MAX_LINE_BYTES), stage.done),
    process: handle,
    write: (item, out) => {
      if (item.kind === "elsewhere") {
        // another shard's: read (the checkpoint counts input lines), not written
        out.pass();
        return;
      }
      if (item.kind === "taught") {
        for (const sample of item.taught.kept) out.line(SAMPLES, JSON.stringify(sample));
        for (const reject of item.taught.rejects) out.line(REJECTS, JSON.stringify(reject));
        out.line(OUTCOMES, JSON.stringify(item.taught.outcome));
        stats.taught(item.taught);
        out.release(item.taught.outcome.sample_id);
      } else if (item.kind === "failed") {
        const outcome = failedOutcome(item.sample, item.line, item.detail);
        out.line(OUTCOMES, JSON.stringify({ file: options.input, ...outcome }));
        stats.taught({ kept: [], rejects: [], outcome });
        out.release(item.sample.id);
      } else if (item.kind === "duplicate") {
        out.line(OUTCOMES, JSON.stringify(duplicateOutcome(item.sample, item.line)));
        stats.duplicate(item.sample.meta.domain);
      } else {
        out.line(OUTCOMES, JSON.stringify({ file: options.input, line: item.line, outcome: "rejected", reason: "invalid-sample", detail: item.detail }));
        stats.invalidLine();
      }
      out.record(item.line);
    },
    // a slow answer at the head must not stop the requests behind it: samples keep starting while the
    // finished ones wait for their turn, within HELD_SAMPLES times the concurrency and HELD_CHARS of input
    window: { running: options.concurrency, held: HELD_SAMPLES * options.concurrency, weight: lineChars, maxWeight: HELD_CHARS },
    checkpoint: { items: CHECKPOINT_SAMPLES, ms: CHECKPOINT_MS },
    // the checkpoint holds their results now
    release: async (ids) => await queue?.forget(ids),
    onCheckpoint: (done) => options.onProgress?.(stats, done),
    close,
  });
}

function taughtItem(taught: TaughtSample): Item {
  return { kind: "taught", line: taught.outcome.line, taught };
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


