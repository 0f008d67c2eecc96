import { mergedLines, mergedOrder, type ShardFolder, summedStats } from "../shard/merge.js";
import { type ExportTarget } from "./rows.js";
import { finishSampleShards } from "./run.js";
import { finishTrajectoryShards, type TrajectoryExportStats, type TrajectoryTarget } from "./trajectories.js";

/**
 * `acc merge` of `acc export --shard` shards: the records each shard built, back in input order, written
 * into `outDir` as the unsharded export writes them (rows, prompt files, rejects, card).
 */
export async function mergeExportShards(shards: readonly ShardFolder[], outDir: string): Promise<void> {
  const { target, settings } = shards[0]!.manifest;
  const order = await mergedOrder(shards);
  const built = mergedLines(shards, order, 0);
  const rejects = mergedLines(shards, order, 1);
  if (settings?.kind === "samples") await finishSampleShards(outDir, target as ExportTarget, settings, built, rejects);
  else await finishTrajectoryShards(outDir, target as TrajectoryTarget, settings ?? {}, { ...(await summedStats(shards)) as TrajectoryExportStats, files: [] }, built, rejects);
}
