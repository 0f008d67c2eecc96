import { join } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { AtomicFile, writeFileAtomic } from "../io/atomic.js";
import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { readJsonLines } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { isRecord } from "../json.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import { inShard, type Shard } from "../shard/partition.js";
import { statsText } from "../shard/stats.js";
import { rejectLine } from "./rejects.js";

/**
 * An export shard's records, one JSON line each, as built from its input lines (a validated sample, or
 * a trajectory's rows before the places only the whole run knows: slime's indices, the task groups).
 * `acc merge` writes the target's files from them in input order, as the unsharded export does.
 */
export const BUILT_FILE = "built.jsonl";
export const REJECTS_FILE = "rejects.jsonl";
/** A line's ordinal in the whole input is file × LINES_PER_FILE + line: exact in a double for 2^21 files. */
const LINES_PER_FILE = 2 ** 32;

export type Built = { ok: true; value: unknown } | { ok: false; reason: string };

export interface ExportShardRun {
  inputs: readonly string[];
  outDir: string;
  shard: Shard;
  target: string;
  /** Everything the merge needs to finish the files (the same in every shard of one run). */
  settings: Record<string, unknown>;
}

export interface ShardCounts {
  read: number;
  exported: number;
  rejected: number;
}

/**
 * `acc export --shard i/N`: builds the records of this shard's lines (a line's shard is its record's
 * `id`, or its file and line when it has none) and writes them, its rejects, the order file and its
 * stats (the counts and `stats()`), then shard.json.
 */
export async function exportShard(run: ExportShardRun, build: (value: unknown) => Built, stats: () => Record<string, unknown>): Promise<ShardCounts & { files: string[] }> {
  if (run.inputs.includes("-")) {
    throw new UsageError("--shard reads its input once in every shard: standard input cannot be shared", { flag: "--shard", fix: "save the input to a file and give its path" });
  }
  const built = await AtomicFile.create(join(run.outDir, BUILT_FILE));
  const rejects = await AtomicFile.create(join(run.outDir, REJECTS_FILE));
  const order = await AtomicFile.create(join(run.outDir, ORDER_FILE));
  const counts: ShardCounts = { read: 0, exported: 0, rejected: 0 };
  try {
    for (const [index, file] of run.inputs.entries()) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        const id = "error" in line || !isRecord(line.value) ? undefined : line.value.id;
        if (!inShard(typeof id === "string" ? id : `${file}:${line.line}`, run.shard)) continue;
        counts.read++;
        const ordinal = index * LINES_PER_FILE + line.line;
        const result = "error" in line ? { ok: false as const, reason: line.detail } : build(line.value);
        if (result.ok) {
          counts.exported++;
          await built.write(`${JSON.stringify(result.value)}\n`);
          await order.write(orderLine(ordinal, [1, 0]));
        } else {
          counts.rejected++;
          await rejects.write(`${rejectLine(file, line.line, result.reason)}\n`);
          await order.write(orderLine(ordinal, [0, 1]));
        }
      }
    }
  } catch (error) {
    await Promise.all([built.abort(), rejects.abort(), order.abort()]);
    throw error;
  }
  await Promise.all([built.commit(), rejects.commit(), order.commit()]);
  await writeFileAtomic(join(run.outDir, "stats.json"), statsText({ ...counts, ...stats() }));
  const fingerprint = keyHash({ version: 1, inputs: await Promise.all(run.inputs.map(fileIdentity)), target: run.target, settings: run.settings });
  await writeManifest(run.outDir, { stage: "export", target: run.target, shard: run.shard, run: fingerprint, files: [BUILT_FILE, REJECTS_FILE], settings: run.settings });
  return { ...counts, files: [BUILT_FILE, REJECTS_FILE, ORDER_FILE, "stats.json"] };
}
