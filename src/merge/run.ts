import { existsSync } from "node:fs";
import { copyFile, readdir } from "node:fs/promises";
import { z } from "zod";
import { join, relative, resolve } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { coarseSplitOf } from "../evals/evaluate.js";
import { type EvalCounts, summarize } from "../evals/report.js";
import { renderHtmlReport } from "../evals/report-html.js";
import { readResults } from "../evals/results.js";
import { mergeExportShards } from "../export/merge.js";
import { writeFileAtomic } from "../io/atomic.js";
import { claimOutputDir } from "../io/output-dir.js";
import { type DecontaminateReport, mergeDecontaminateReports } from "../privacy/decontaminate.js";
import { writeRowsParquet } from "../rollout/parquet.js";
import { mergeShardFiles, readShards, requireShardFile, type ShardFolder } from "../shard/merge.js";
import { sumStats } from "../shard/stats.js";

export interface MergeResult {
  stage: string;
  shards: number;
  files: string[];
}

/**
 * Joins the output folders of every shard of one sharded run (`--shard i/N`) into `outDir`, which then
 * holds what the unsharded run writes, byte for byte: the JSONL outputs in input order, stats.json added
 * up, and the files a stage derives from them (rollout's rows.parquet, eval's summary and report, every
 * file of an export).
 */
export async function mergeRun(dirs: readonly string[], outDir: string, options: { overwrite: boolean }): Promise<MergeResult> {
  const shards = await readShards(dirs);
  for (const { dir } of shards) {
    const inside = relative(resolve(dir), resolve(outDir));
    if (!inside.startsWith("..") && !inside.startsWith("/")) {
      throw new UsageError(`-o ${outDir} is inside the shard folder ${dir}`, { flag: "-o", fix: "merge into a folder of its own, e.g. -o out/merged" });
    }
  }
  const { stage, target, shard } = shards[0]!.manifest;
  await claimOutputDir(outDir, { stage, ...(target !== undefined ? { target } : {}) }, { overwrite: options.overwrite });
  if (stage === "export") await mergeExportShards(shards, outDir);
  else await mergeShardFiles(shards, outDir);
  if (stage === "rollout") await writeRowsParquet(join(outDir, "rows.jsonl"), join(outDir, "rows.parquet"));
  if (stage === "eval") await mergeEvalSummary(shards, outDir);
  if (stage === "decontaminate") await mergeDecontaminateReport(shards, outDir);
  const files = (await readdir(outDir)).filter((name) => !name.startsWith(".")).sort();
  return { stage, shards: shard.count, files };
}

const count = z.number().int().nonnegative();

/** What merging reads of a shard's summary.json (the rest is computed again from the merged results). */
const EvalSummaryRead = z.looseObject({
  eval: z.enum(["mrcr", "graphwalks"]),
  model: z.string().nullable(),
  settings: z.record(z.string(), z.string()),
  counts: z.object({ items: count, graded: count, failed: count, over_context: count, missing: count, resumed: count, cached: count, unmatched_responses: count }),
});

/** A shard's report.json: the counts merging adds up are checked; the rest is the first shard's, copied as it is. */
const DecontaminateReportRead = z.looseObject({
  read: count,
  kept: count,
  dropped: count,
  flagged: count,
  eval_sets: z.array(z.looseObject({ samples_hit: count, ngrams_matched: count })),
}) as unknown as z.ZodType<DecontaminateReport>;

/** An eval's summary and report, from the merged results and the shards' counts added up, as the unsharded run makes them. */
async function mergeEvalSummary(shards: readonly ShardFolder[], outDir: string): Promise<void> {
  const summaries = await Promise.all(shards.map(({ dir }) => requireShardFile(join(dir, "summary.json"), EvalSummaryRead, "an eval summary")));
  const first = summaries[0]!;
  const coarse = coarseSplitOf(first.eval);
  const summary = summarize({
    eval: first.eval,
    model: first.model,
    settings: first.settings,
    counts: summaries.map((s): EvalCounts => s.counts).reduce((a, b) => sumStats(a, b) as EvalCounts),
    records: await readResults(join(outDir, "results.jsonl")),
    ...(coarse ? { coarse } : {}),
  });
  await writeFileAtomic(join(outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(join(outDir, "report.html"), renderHtmlReport(summary));
  if (existsSync(join(shards[0]!.dir, "run.json"))) await copyFile(join(shards[0]!.dir, "run.json"), join(outDir, "run.json"));
}

/** decontaminate's report.json, the shards' reports added up as the unsharded run writes it. */
async function mergeDecontaminateReport(shards: readonly ShardFolder[], outDir: string): Promise<void> {
  const reports = await Promise.all(shards.map(({ dir }) => requireShardFile(join(dir, "report.json"), DecontaminateReportRead, "a decontamination report")));
  await writeFileAtomic(join(outDir, "report.json"), `${JSON.stringify(mergeDecontaminateReports(reports), null, 2)}\n`);
}
