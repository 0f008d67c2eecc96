import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import type { Shard } from "./partition.js";

/** Written into a shard's folder when the shard's run has finished: what `acc merge` needs to know. */
export const MANIFEST_FILE = "shard.json";
/**
 * One line per record the shard wrote, in the order it wrote them: `[ordinal, lines in files[0], lines in
 * files[1], …]`, the ordinal being the record's position in the whole (unsharded) input.
 */
export const ORDER_FILE = "shard-order.jsonl";

export interface ShardManifest {
  stage: string;
  /** What the stage wrote, when it writes different things (eval: mrcr or graphwalks). */
  target?: string;
  shard: Shard;
  /** The stage's fingerprint of its inputs and settings without the shard: shards of one run share it. */
  run: string;
  /** The JSONL outputs interleaved by record, in the order of the order file's columns. */
  files: string[];
  /** What the stage's merge needs to finish outputs built from the merged records (export: its settings). */
  settings?: Record<string, unknown>;
}

export async function writeManifest(dir: string, manifest: ShardManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The order file's line for one record. */
export function orderLine(ordinal: number, counts: readonly number[]): string {
  return `${JSON.stringify([ordinal, ...counts])}\n`;
}
