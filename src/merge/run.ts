import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { claimOutputDir } from "../io/output-dir.js";
import { writeRowsParquet } from "../rollout/parquet.js";
import { mergeShardFiles, readShards } from "../shard/merge.js";

export interface MergeResult {
  stage: string;
  shards: number;
  files: string[];
}

/**
 * Joins the output folders of every shard of one sharded run (`--shard i/N`) into `outDir`, which then
 * holds what the unsharded run writes, byte for byte: the JSONL outputs in input order, stats.json added
 * up, and the files a stage derives from them (rollout's rows.parquet).
 */
export async function mergeRun(dirs: readonly string[], outDir: string, options: { overwrite: boolean }): Promise<MergeResult> {
  const shards = await readShards(dirs);
  for (const { dir } of shards) {
    const inside = relative(resolve(dir), resolve(outDir));
    if (!inside.startsWith("..") && !inside.startsWith("/")) {
      throw new UsageError(`-o ${outDir} is inside the shard folder ${dir}`, { flag: "-o", fix: "merge into a folder of its own, e.g. -o out/merged" });
    }
  }
  const { stage, shard, files } = shards[0]!.manifest;
  await claimOutputDir(outDir, { stage }, { overwrite: options.overwrite });
  await mergeShardFiles(shards, outDir);
  if (stage === "rollout" && existsSync(join(outDir, "rows.jsonl"))) await writeRowsParquet(join(outDir, "rows.jsonl"), join(outDir, "rows.parquet"));
  return { stage, shards: shard.count, files: [...files.filter((name) => existsSync(join(outDir, name))), "stats.json"] };
}
