import { Queue, QueueEvents } from "bullmq";
import { AccError } from "../errors/acc-error.js";
import type { QueueAddress } from "./address.js";
import { checkReachable, redisOptions, retryConnectionAborts } from "./connection.js";
import { type JobData, jobId, QUEUE_NAME, settingsFingerprint } from "./jobs.js";

export interface ProducerOptions {
  stage: string;
  /** The run's fingerprint (the stage's checkpoint fingerprint): part of every job id. */
  run: string;
  /** The stage settings that shape a result; workers refuse jobs whose settings are not theirs. */
  settings: Record<string, unknown>;
  /** Deliveries of a job before it fails for good (a worker's error, or its death mid-job, is one). */
  attempts: number;
  /** First retry delay; doubled at each retry. */
  backoffMs?: number;
}

/** A job's end: its result, or why it failed after its last attempt. */
export type JobOutcome = { ok: true; value: unknown } | { ok: false; reason: string; attempts: number };

/** How often jobs waited on are looked up directly, in case their event was missed (a Redis restart). */
const POLL_MS = 1000;

/** A job's fields and final state, as one pipelined look-up reads them. */
interface Found {
  id: string;
  exists: boolean;
  state: "completed" | "failed" | "other";
  returnvalue: string | null;
  failedReason: string | null;
  attemptsMade: string | null;
}

/**
 * Enqueues one job per record and hands back each job's outcome. Jobs are kept in Redis until
 * `forget` (after the producer's checkpoint holds their results), so a killed producer that is started
 * again finds every finished job's result and re-enqueues nothing that is already there.
 *
 * Round trips are shared: the records asked for in the same turn of the event loop are looked up in one
 * pipeline and the new ones added with one addBulk; a completed job's result comes with its event; jobs are
 * removed together.
 */
export class QueueProducer {
  private readonly waiting = new Map<string, { resolve: (outcome: JobOutcome) => void; reject: (error: unknown) => void }>();
  private readonly timer: NodeJS.Timeout;
  private readonly fingerprint: string;
  private batch: { id: string; line: number; record: unknown }[] = [];
  private failure: unknown;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly options: ProducerOptions,
  ) {
    this.fingerprint = settingsFingerprint(options.stage, options.settings);
    events.on("completed", ({ jobId, returnvalue }) => this.settle(jobId, { ok: true, value: returnvalue }));
    events.on("failed", ({ jobId }) => void this.check([jobId]));
    this.timer = setInterval(() => void this.check([...this.waiting.keys()]), POLL_MS);
  }

  static async open(address: QueueAddress, options: ProducerOptions): Promise<QueueProducer> {
    await checkReachable(address);
    const connection = redisOptions(address);
    const queue = new Queue(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    // reconnection is ioredis's; an error event without a listener would end the process
    queue.on("error", () => {});
    events.on("error", () => {});
    await events.waitUntilReady();
    return new QueueProducer(queue, events, options);
  }

  /** The outcome of the record's job, enqueueing it unless a job of this run already holds it. */
  process(key: string, line: number, record: unknown): Promise<JobOutcome> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = jobId(this.options.stage, this.options.run, key);
    const outcome = new Promise<JobOutcome>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.batch.length === 0) setImmediate(() => void this.enqueue());
    this.batch.push({ id, line, record });
    return outcome;
  }

  /** Removes the jobs of these keys (their results are saved by the producer). */
  async forget(keys: readonly string[]): Promise<void> {
    // a job a worker still runs (a second delivery after its first worker's lock lapsed) cannot be removed
    // now; its result is saved already, so it is left in Redis rather than failing the run
    await Promise.all(keys.map((key) => this.queue.remove(jobId(this.options.stage, this.options.run, key)).catch(() => 0)));
  }

  /**
   * Stops waiting: every record still waiting, and every later one, fails with this reason. A run that
   * stops on its first error calls it, so its other slots do not wait for jobs no worker may ever take.
   */
  abandon(reason: unknown): void {
    this.failure ??= reason;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.abandon(new AccError("the queue producer was closed while records were waiting", { code: "aborted" }));
    clearInterval(this.timer);
    await this.events.close();
    await this.queue.close();
  }

  /** Sends the waiting batch; a failure that is not a Redis restart's abandons the run. */
  private async enqueue(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    try {
      // lookup, addBulk and retry are idempotent: a Redis restart that cuts one in two costs a second try
      await retryConnectionAborts(() => this.enqueueBatch(batch));
    } catch (error) {
      // the run cannot go on without its jobs: every record waiting fails with the cause
      this.abandon(error);
    }
  }

  /** Looks the batch's jobs up at once; adds the missing ones in one addBulk; gives back what has finished. */
  private async enqueueBatch(batch: { id: string; line: number; record: unknown }[]): Promise<void> {
    const found = await this.lookup(batch.map((b) => b.id));
    const missing = batch.filter((_, i) => !found[i]!.exists);
    if (missing.length > 0) {
      const opts = { attempts: this.options.attempts, backoff: { type: "exponential", delay: this.options.backoffMs ?? 1000 } };
      await this.queue.addBulk(
        missing.map(({ id, line, record }) => {
          const data: JobData = { stage: this.options.stage, fingerprint: this.fingerprint, settings: this.options.settings, line, record };
          return { name: this.options.stage, data, opts: { ...opts, jobId: id } };
        }),
      );
    }
    for (const job of found) {
      if (job.state === "completed") this.settle(job.id, { ok: true, value: JSON.parse(job.returnvalue ?? "null") });
      else if (job.state === "failed") {
        // failed while no producer was collecting it: a resumed run gives it its attempts again, as a
        // resumed local run redoes what its checkpoint does not hold
        const failed = await this.queue.getJob(job.id);
        await failed?.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
    }
  }

  /** Resolves the waiters of jobs that have finished (a missed event, a Redis restart). */
  private async check(ids: string[]): Promise<void> {
    const open = ids.filter((id) => this.waiting.has(id));
    if (open.length === 0) return;
    const found = await this.lookup(open).catch(() => []);
    for (const job of found) {
      if (job.state === "completed") this.settle(job.id, { ok: true, value: JSON.parse(job.returnvalue ?? "null") });
      else if (job.state === "failed") this.settle(job.id, { ok: false, reason: job.failedReason ?? "failed", attempts: Number(job.attemptsMade ?? 0) });
    }
  }

  /** The jobs' fields and whether they are completed or failed, in one round trip. */
  private async lookup(ids: readonly string[]): Promise<Found[]> {
    const client = await this.queue.client;
    const pipeline = client.pipeline();
    const completed = this.queue.toKey("completed");
    const failed = this.queue.toKey("failed");
    for (const id of ids) {
      pipeline.hmget(this.queue.toKey(id), "name", "returnvalue", "failedReason", "ats");
      pipeline.zscore(completed, id);
      pipeline.zscore(failed, id);
    }
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => {
      const [fields, inCompleted, inFailed] = [0, 1, 2].map((k) => {
        // invariant: Redis answers every command of a MULTI; a missing reply is a bug, reported as one
        const [error, value] = replies[3 * i + k] ?? [new Error("no reply")];
        if (error) throw error;
        return value;
      }) as [(string | null)[], string | null, string | null];
      const [name, returnvalue, failedReason, attemptsMade] = fields;
      return { id, exists: name !== null, state: inCompleted !== null ? "completed" : inFailed !== null ? "failed" : "other", returnvalue: returnvalue ?? null, failedReason: failedReason ?? null, attemptsMade: attemptsMade ?? null };
    });
  }

  /** Hands the job's outcome to its waiter, once. */
  private settle(id: string, outcome: JobOutcome): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    waiter.resolve(outcome);
  }
}
