import { join } from "node:path";
import { Command, Option } from "commander";
import { rolloutRun } from "../../rollout/run.js";
import { RolloutStats } from "../../rollout/stats.js";
import { AccError } from "../../errors/acc-error.js";
import { readJsonLines } from "../../io/json-lines.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { STDIN } from "../../io/stdin.js";
import type { Episode } from "../../records/rollout.js";
import { type CliIo, existingInputs, UsageError } from "../io.js";
import { setResumeHint } from "../interrupt.js";
import { addOptions, type OverwriteQuietFlags, outOption, overwriteOption, quietOption } from "../options.js";
import { createProgress } from "../progress.js";
import { renderTable } from "../table.js";
import { indexSearchCorpus, type RolloutOptionFlags, rolloutOptions, rolloutSetup } from "../rollout-options.js";
import { reportSandbox } from "../sandbox-options.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";
import { type QueueFlags, queueOption, queueOptions } from "../queue-flags.js";
import { checkReachable } from "../../queue/connection.js";

/** The flags of acc rollout as the action receives them: rolloutOptions' and its own. */
interface RolloutFlags extends RolloutOptionFlags, ShardFlags, OverwriteQuietFlags, QueueFlags {
  tasks: string;
  endpoint?: string;
  out: string;
}

export function rolloutCommand(io: CliIo): Command {
  return addOptions(rolloutOptions(new Command("rollout")), [
    new Option("--tasks <file>", "JSONL of rollout tasks (see docs/commands/rollout.md); - reads stdin").makeOptionMandatory(),
    new Option("--endpoint <url>", "OpenAI-compatible base URL of the policy, e.g. http://127.0.0.1:8000/v1 (required unless --queue)"),
    outOption("output folder: steps, episodes, rows (JSONL and Parquet), trajectories, stats.json", { required: true }),
    shardFlag("tasks split by a hash of their id"),
    overwriteOption("write into a folder holding another stage's outputs (they are removed first), or start afresh instead of resuming"),
    quietOption(),
    ...queueOptions("tasks (one job per group)"),
  ])
    .description("Run an agent on tasks in an environment with a context manager (SUPO summaries and peers) and write RL training rows")
    .addHelpText(
      "after",
      `
Examples:
  node examples/setup.mjs
  acc rollout --env sql:examples/.build/bookshop.sqlite --tasks examples/rollout/sql-tasks.jsonl \\
    --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-8B --group-size 8 --context supo --window 4096 --max-summaries 3 -o out/sql
  acc rollout --env search:examples/rollout/corpus.jsonl --tasks examples/rollout/search-tasks.jsonl \\
    --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-8B --context mask-observations --keep-observations 3 -o out/search
  acc rollout --env repo:examples/.build/repo --tasks examples/rollout/repo-tasks.jsonl \\
    --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-8B --max-steps 40 -o out/repo

Related: acc compile (reads out/…/trajectories.jsonl), acc export`,
    )
    .action(async (flags: RolloutFlags) => {
      existingInputs([flags.tasks], "--tasks");
      const queue = queueOption(flags);
      if (flags.endpoint === undefined && !queue) throw new UsageError("--endpoint is required (or --queue, to let acc worker rollout processes run the episodes)", { flag: "--endpoint" });
      if (flags.endpoint !== undefined && queue) throw new UsageError("give --endpoint or --queue, not both: with --queue, acc worker rollout processes call the policy", { flag: "--queue" });
      const { env } = flags;
      const outDir = flags.out;
      // a run from stdin cannot be resumed: the tasks are gone once read
      if (flags.tasks !== STDIN) setResumeHint(`rerun the same command to resume (progress is saved in ${outDir})`);
      const progress = createProgress(io.stderr, "rollout", { quiet: Boolean(flags.quiet) });
      try {
        await indexSearchCorpus(io, env, Boolean(flags.quiet));
        const runOptions: Parameters<typeof rolloutRun>[0] = {
          ...rolloutSetup(flags),
          ...(queue ? { queue: { label: queue.address.label, open: (run: string, settings: Record<string, unknown>) => queue.open({ stage: "rollout", run, settings }) } } : {}),
          tasks: flags.tasks,
          outDir,
          ...(flags.shard ? { shard: flags.shard } : {}),
          onProgress: (done, total, s) => {
            const d = s.data;
            progress.update(done, `${done}/${total} groups, ${d.episodes} episodes, success ${percent(d.successes, d.episodes)}, ${(d.summaries / Math.max(1, d.episodes)).toFixed(2)} summaries/episode`, total);
          },
        };
        await claimOutputDir(outDir, { stage: "rollout" }, { overwrite: Boolean(flags.overwrite), inputs: [flags.tasks] });
        if (queue) await checkReachable(queue.address);
        // with --queue the tools run in the workers' boxes (each says how its box limits memory)
        if (env.kind === "repo" && !queue) await reportSandbox(io, Boolean(flags.quiet), runOptions.envSettings.sandbox);
        const stats = await rolloutRun(runOptions);
        progress.stop();
        io.stderr.write(`${rolloutSummary(stats)}\nwrote ${outDir}/{steps,episodes,rows,trajectories}.jsonl, rows.parquet, stats.json\n`);
        const d = stats.data;
        if (d.episodes > 0 && d.errors === d.episodes) {
          const first = await firstEpisodeError(join(outDir, "episodes.jsonl"));
          throw new AccError(`every episode stopped on an error (${d.errors} of ${d.episodes})${first ? `; the first: ${first}` : ""}`, {
            code: "no-records",
            fix: `check that --endpoint ${flags.endpoint ?? "(the workers')"} serves --model ${flags.model}; each episode's error is in ${outDir}/episodes.jsonl`,
          });
        }
        // a shard none of the tasks fall in has done all its work
        if (d.rows === 0 && !(runOptions.shard && d.groups === 0)) throw new AccError(`no training rows from ${d.episodes} episodes`, { code: "no-records", fix: `see ${outDir}/episodes.jsonl for how each one ended` });
      } finally {
        progress.stop();
      }
    });
}

/**
 * The error of the first episode that stopped on one, from episodes.jsonl; an episode stopped by the
 * open circuit breaker only when no episode says what opened it.
 */
async function firstEpisodeError(path: string): Promise<string | undefined> {
  let breaker: string | undefined;
  for await (const line of readJsonLines(path, 64 * 1024 * 1024)) {
    if ("error" in line) continue;
    const episode = line.value as Partial<Episode>;
    if (episode.stop_reason !== "error" || !episode.error) continue;
    if (!episode.error.startsWith("circuit breaker open")) return episode.error;
    breaker ??= episode.error;
  }
  return breaker;
}

/** The closing table: outcomes, context management and what the rows hold. */
export function rolloutSummary(stats: RolloutStats): string {
  const d = stats.data;
  const perEpisode = (n: number) => (d.episodes === 0 ? "-" : (n / d.episodes).toFixed(2));
  const rows: [string, string][] = [
    ["episodes (groups)", `${d.episodes} (${d.groups})`],
    ["success rate", percent(d.successes, d.episodes)],
    ["finished", percent(d.finished, d.episodes)],
    ["overlong: step cap", percent(d.overlong["step-cap"], d.episodes)],
    ["overlong: summary cap", percent(d.overlong["summary-cap"], d.episodes)],
    ["overlong: window", percent(d.overlong.window, d.episodes)],
    ["errors", percent(d.errors, d.episodes)],
    ["summaries per episode", perEpisode(d.summaries)],
    ["segments per episode", perEpisode(d.segments)],
    ["success given a summary", d.summarized === 0 ? "-" : percent(d.summarized_successes, d.summarized)],
    ["summary token share", percent(d.summary_tokens, d.completion_tokens)],
    ["steps cut at max tokens", percent(d.truncated_steps, d.steps)],
    ["groups with zero advantage", percent(d.zero_advantage_groups, d.groups)],
    ["rows (episodes in the loss)", `${d.rows} (${d.in_loss})`],
    ["prefix breaks / prediction misses", `${d.prefix_breaks} / ${d.prediction_misses}`],
  ];
  return renderTable(["metric", "value"], rows);
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : `${(100 * RolloutStats.share(part, whole)).toFixed(1)}%`;
}
