import { createHash } from "node:crypto";
import { UsageError } from "../errors/acc-error.js";

/** One part of a run split for an array job: shard `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `--shard i/N` (0 ≤ i < N). */
export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UsageError(`--shard expects i/N with 0 ≤ i < N (e.g. 0/4), got "${value}"`, { flag: "--shard", fix: "give the 0-based shard index and the number of shards, e.g. --shard $SLURM_ARRAY_TASK_ID/8" });
  }
  return { index, count };
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * The shard a record belongs to: its stable key's SHA-256, as a number, modulo the shard count. A
 * record's shard depends on its key alone, not on its position or on which other records exist, so
 * adding input moves no record already there (only changing N does).
 */
export function shardOf(key: string, count: number): number {
  const digest = createHash("sha256").update(key).digest();
  // 48 bits: exact in a double, and uniform enough for any shard count in use
  return digest.readUIntBE(0, 6) % count;
}

/** True when the record with this key is this shard's (always, without a shard). */
export function inShard(key: string, shard: Shard | undefined): boolean {
  return shard === undefined || shard.count === 1 || shardOf(key, shard.count) === shard.index;
}
