import { Queue } from "bullmq";
import type { QueueAddress } from "./address.js";
import { checkReachable, redisOptions } from "./connection.js";
import { QUEUE_NAME } from "./jobs.js";

export interface QueueStatus {
  queue: string;
  /** Jobs no worker has taken yet. */
  waiting: number;
  /** Jobs waiting for their retry (after a failed attempt). */
  retrying: number;
  /** Jobs a worker holds now. */
  active: number;
  /** Jobs finished with a result, ever (a job a resumed producer enqueued again counts again). */
  done: number;
  /** Jobs failed on every attempt, ever. */
  failed: number;
  /** Jobs finished per second, over the current minute of counts (null before any finished). */
  rate: number | null;
  /** Seconds until the jobs not finished are, at that rate (null without a rate). */
  eta_seconds: number | null;
  /** Workers connected now. */
  workers: number;
}

/** What is in the queue now, and how fast it empties. */
export async function queueStatus(address: QueueAddress, now = Date.now()): Promise<QueueStatus> {
  await checkReachable(address);
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(address) });
  queue.on("error", () => {});
  try {
    const counts = await queue.getJobCounts("wait", "prioritized", "paused", "delayed", "active");
    const completed = await queue.getMetrics("completed", 0, 0);
    const failed = await queue.getMetrics("failed", 0, 0);
    const workers = await queue.getWorkersCount();
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0);
    const retrying = counts.delayed ?? 0;
    const active = counts.active ?? 0;
    const rate = rateOf(completed.meta, failed.meta, now);
    const left = waiting + retrying + active;
    return {
      queue: address.label,
      waiting,
      retrying,
      active,
      done: completed.meta.count,
      failed: failed.meta.count,
      rate,
      eta_seconds: rate === null || rate === 0 ? (left === 0 ? 0 : null) : Math.ceil(left / rate),
      workers,
    };
  } finally {
    await queue.close();
  }
}

type Meta = { count: number; prevTS: number; prevCount: number };

/** Jobs finished since BullMQ's metrics last closed a minute (their prevTS), per second. */
function rateOf(completed: Meta, failed: Meta, now: number): number | null {
  const since = Math.min(...[completed, failed].filter((m) => m.prevTS > 0).map((m) => m.prevTS));
  if (!Number.isFinite(since)) return null;
  const finished = completed.count - completed.prevCount + (failed.count - failed.prevCount);
  return finished / Math.max(1, (now - since) / 1000);
}
