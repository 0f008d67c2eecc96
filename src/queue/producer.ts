import { Queue, QueueEvents } from "bullmq";
import type { QueueAddress } from "./address.js";
import { checkReachable, redisOptions } from "./connection.js";
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

/**
 * Enqueues one job per record and hands back each job's outcome. Jobs are kept in Redis until
 * `forget` (after the producer's checkpoint holds their results), so a killed producer that is started
 * again finds every finished job's result and re-enqueues nothing that is already there.
 */
export class QueueProducer {
  private readonly waiting = new Map<string, (outcome: JobOutcome) => void>();
  private readonly timer: NodeJS.Timeout;
  private readonly fingerprint: string;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly options: ProducerOptions,
  ) {
    this.fingerprint = settingsFingerprint(options.stage, options.settings);
    const check = ({ jobId }: { jobId: string }) => void this.check(jobId);
    events.on("completed", check);
    events.on("failed", check);
    this.timer = setInterval(() => {
      for (const id of this.waiting.keys()) void this.check(id);
    }, POLL_MS);
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
  async process(key: string, line: number, record: unknown): Promise<JobOutcome> {
    const id = jobId(this.options.stage, this.options.run, key);
    const outcome = new Promise<JobOutcome>((resolve) => this.waiting.set(id, resolve));
    const state = await this.queue.getJobState(id);
    if (state === "unknown") {
      const data: JobData = { stage: this.options.stage, fingerprint: this.fingerprint, settings: this.options.settings, line, record };
      await this.queue.add(this.options.stage, data, {
        jobId: id,
        attempts: this.options.attempts,
        backoff: { type: "exponential", delay: this.options.backoffMs ?? 1000 },
      });
    } else if (state === "failed") {
      // failed while no producer was collecting it: a resumed run gives it its attempts again, as a
      // resumed local run redoes what its checkpoint does not hold
      const job = await this.queue.getJob(id);
      await job?.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    await this.check(id);
    return outcome;
  }

  /** Removes the jobs of these keys (their results are saved by the producer). */
  async forget(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      // a job a worker still runs (a second delivery after its first worker's lock lapsed) cannot be removed
      // now; its result is saved already, so it is left in Redis rather than failing the run
      await this.queue.remove(jobId(this.options.stage, this.options.run, key)).catch(() => 0);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.events.close();
    await this.queue.close();
  }

  /** Resolves the job's waiter when the job has finished. */
  private async check(id: string): Promise<void> {
    if (!this.waiting.has(id)) return;
    const client = await this.queue.client;
    const [finishedOn, returnvalue, failedReason, attemptsMade] = await client.hmget(this.queue.toKey(id), "finishedOn", "returnvalue", "failedReason", "ats");
    if (finishedOn === null) return;
    const state = await this.queue.getJobState(id);
    const resolve = this.waiting.get(id);
    if (!resolve || (state !== "completed" && state !== "failed")) return;
    this.waiting.delete(id);
    if (state === "completed") resolve({ ok: true, value: JSON.parse(returnvalue ?? "null") });
    else resolve({ ok: false, reason: failedReason ?? "failed", attempts: Number(attemptsMade ?? 0) });
  }
}
