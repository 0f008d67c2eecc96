import { type Job, UnrecoverableError, Worker } from "bullmq";
import { AccError } from "../errors/acc-error.js";
import type { QueueAddress } from "./address.js";
import { checkReachable, redisOptions } from "./connection.js";
import { type JobData, METRICS_MINUTES, QUEUE_NAME, settingsDiff, settingsFingerprint } from "./jobs.js";

/** What a worker does with one stage's jobs: its settings (from its own flags) and the work on one record. */
export interface StageHandler {
  stage: string;
  settings: Record<string, unknown>;
  /** The record's result, as the producer writes it; an error is one failed attempt. */
  process(record: unknown, line: number): Promise<unknown>;
}

export interface WorkerOptions {
  handlers: StageHandler[];
  /** Jobs at once. */
  concurrency: number;
  /** A job whose worker has not renewed its lock this long (it died) goes back to the queue. */
  lockMs: number;
  /** Stop once no job is waiting and none of this worker's is running. */
  drain?: boolean;
  /** Aborted: take no more jobs, finish the ones held, and return (a signal asking the worker to stop). */
  finish?: AbortSignal;
  /** Aborted (while finishing, or before): put the jobs held back in the queue at once, for other workers, and return. */
  handBack?: AbortSignal;
}

/** A job this worker cannot serve (another stage, other settings): the job goes back, the worker stops. */
export class JobRefused extends AccError {
  override name = "JobRefused";
}

export interface WorkerSummary {
  completed: number;
  failed: number;
  /** Jobs put back in the queue unfinished when the worker was told to stop at once. */
  handedBack: number;
}

/**
 * Serves jobs until the process ends, the queue is drained (`drain`), it is told to stop (`finish`: the jobs it holds
 * finish first; `handBack`: they go back to the queue at once), or refused (a job it cannot serve). Each job is
 * checked against the handler of its stage: same settings fingerprint, else it is put back untouched and
 * the worker stops with JobRefused. A job delivered more times than its attempts (its workers died or
 * stalled each time) fails for good without running again, so a record that kills its worker cannot
 * kill every worker.
 */
export async function runWorker(address: QueueAddress, options: WorkerOptions): Promise<WorkerSummary> {
  await checkReachable(address);
  const handlers = new Map(options.handlers.map((h) => [h.stage, { handler: h, fingerprint: settingsFingerprint(h.stage, h.settings) }]));
  const summary: WorkerSummary = { completed: 0, failed: 0, handedBack: 0 };
  // the jobs running now, with the lock tokens that let this worker hand them back
  const running = new Map<string, { job: Job<JobData>; token: string | undefined }>();
  let refusal: JobRefused | undefined;
  const held: { job: Job<JobData>; token: string | undefined }[] = [];
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));

  const processor = async (job: Job<JobData>, token?: string): Promise<unknown> => {
    const data = job.data;
    const served = handlers.get(job.name);
    const why = !served
      ? `job ${job.id} is a ${job.name} job; this worker serves ${[...handlers.keys()].join(", ")}`
      : data.fingerprint !== served.fingerprint
        ? `job ${job.id} (${job.name}) was enqueued with other settings than this worker's (${settingsDiff(data.settings ?? {}, served.handler.settings) || "another acc version"})`
        : undefined;
    if (why !== undefined) {
      // held (not failed, not retried) until the worker has stopped fetching; then put back as it was
      refusal ??= new JobRefused(why, { code: "job-refused", fix: "start the worker with the producer's settings flags (and the same acc version)" });
      held.push({ job, token });
      stop();
      return new Promise<never>(() => {});
    }
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsStarted > attempts) throw new UnrecoverableError(`its worker stopped mid-job ${job.attemptsStarted - 1} times (died, killed or stalled past its lock)`);
    running.set(job.id!, { job, token });
    try {
      return await served!.handler.process(data.record, data.line);
    } finally {
      running.delete(job.id!);
    }
  };

  const worker = new Worker<JobData>(QUEUE_NAME, processor, {
    connection: redisOptions(address),
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.lockMs,
    // the attempts check above fails a job that keeps stalling; BullMQ's own limit must not come first
    maxStalledCount: 1000,
    // per-minute counts of finished jobs, read by acc status
    metrics: { maxDataPoints: METRICS_MINUTES },
    autorun: false,
  });
  worker.on("error", () => {});
  worker.on("completed", () => summary.completed++);
  worker.on("failed", () => summary.failed++);
  if (options.drain) worker.on("drained", () => stop());
  const handingBack = aborted(options.handBack);
  void aborted(options.finish).then(stop);
  void handingBack.then(stop);
  void worker.run();
  await worker.waitUntilReady();
  await stopped;
  if (!refusal) {
    // no more jobs; the ones it holds finish first, unless told to hand them back
    const finished = worker.pause();
    if ((await Promise.race([finished.then(() => "finished" as const), handingBack.then(() => "hand back" as const)])) === "finished") {
      await worker.close();
      return summary;
    }
    for (const { job, token } of running.values()) {
      await handBack(worker, job, token);
      summary.handedBack++;
    }
    // their processors are abandoned: their results, if any, are refused without the lock
    await worker.close(true);
    return summary;
  }
  await worker.pause(true);
  // the refused jobs, and those it was serving, go back at once
  for (const { job, token } of [...held, ...running.values()]) await handBack(worker, job, token);
  await worker.close(true);
  throw refusal;
}

/** Puts a job this worker took back in the queue, untouched: the delivery is not counted as one of its attempts. */
async function handBack(worker: Worker<JobData>, job: Job<JobData>, token: string | undefined): Promise<void> {
  await job.moveToWait(token);
  await (await worker.client).hincrby(worker.toKey(job.id!), "ats", -1);
}

/** Resolves when the signal is aborted (never without one). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
