import { createHash } from "node:crypto";
import { keyHash } from "../io/checkpoint.js";

/** The one BullMQ queue of acc's jobs; a job's name is its stage (teach, eval, rollout). */
export const QUEUE_NAME = "acc";
/** Minutes of finished-job counts kept for acc status (a day). */
export const METRICS_MINUTES = 24 * 60;
/** Raised when what a job carries, or how a worker reads it, changes. */
const JOB_FORMAT = 1;

/**
 * What a job carries: the record and the stage settings that shape its result, never an endpoint, a key or
 * a path of the producer's machine (each worker has its own).
 */
export interface JobData {
  stage: string;
  /** keyHash of the stage, the settings and the job format: a worker serves only jobs of its own. */
  fingerprint: string;
  settings: Record<string, unknown>;
  /** The record's line in the producer's input, for the stage's outcome records. */
  line: number;
  record: unknown;
}

export function settingsFingerprint(stage: string, settings: Record<string, unknown>): string {
  return keyHash({ format: JOB_FORMAT, stage, settings });
}

/**
 * A record's job id: its stable key (the one --shard uses) within its run. The run's fingerprint keeps
 * two runs over the same records apart; the key is hashed since BullMQ ids must not hold ':' or be
 * numbers. Enqueueing a key twice adds nothing.
 */
export function jobId(stage: string, run: string, key: string): string {
  return `${stage}-${run.slice(0, 16)}-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
}

/** Keys of the settings whose values differ (top level), for a refusal that says what to change. */
export function settingsDiff(theirs: Record<string, unknown>, ours: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(theirs), ...Object.keys(ours)])].sort();
  return keys
    .filter((key) => JSON.stringify(theirs[key]) !== JSON.stringify(ours[key]))
    .map((key) => `${key}: job ${JSON.stringify(theirs[key]) ?? "unset"}, worker ${JSON.stringify(ours[key]) ?? "unset"}`)
    .join("; ");
}
