import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_ENV_SETTINGS, DEFAULT_MAX_CHARS, ensureSearchIndex, type EnvSpec, isSqliteFile, parseEnvSpec } from "../../envs/index.js";
import { CONTINUATION, EXTERNAL_SUMMARY_PROMPT, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "../../rollout/context.js";
import { rolloutRun } from "../../rollout/run.js";
import { RolloutStats } from "../../rollout/stats.js";
import type { ContextName } from "../../rollout/types.js";
import { AccError } from "../../errors/acc-error.js";
import { readJsonLines } from "../../io/json-lines.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { STDIN } from "../../io/stdin.js";
import type { Episode } from "../../records/rollout.js";
import { type CliIo, existingInputs, readText, UsageError } from "../io.js";
import { setResumeHint } from "../interrupt.js";
import {
  addOptions,
  apiKeyEnvOption,
  choiceOption,
  concurrencyOption,
  maxTokensOption,
  mebibytesOption,
  numberOption,
  type OverwriteQuietFlags,
  outOption,
  overwriteOption,
  positiveIntegerOption,
  quietOption,
  retriesOption,
  secondsOption,
  seedOption,
  temperatureOption,
  wholeNumberOption,
} from "../options.js";
import { createProgress } from "../progress.js";
import { renderTable } from "../table.js";
import { reportSandbox, type SandboxFlags, sandboxOptions, sandboxSettings } from "../sandbox-options.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";
import { type QueueFlags, queueOption, queueOptions } from "../queue-flags.js";
import { checkReachable } from "../../queue/connection.js";

const CONTEXTS = ["supo", "external", "mask-observations", "none"] as const satisfies readonly ContextName[];

/** The flags as the action receives them (times in milliseconds, sizes in bytes). */
interface RolloutFlags extends SandboxFlags, ShardFlags, OverwriteQuietFlags, QueueFlags {
  env: EnvSpec;
  tasks: string;
  endpoint?: string;
  model: string;
  out: string;
  groupSize: number;
  context: (typeof CONTEXTS)[number];
  window: number;
  ratio: number;
  maxSummaries: number;
  maxSteps: number;
  maxTokens: number;
  summaryMaxTokens?: number;
  summaryPrompt?: string;
  continuation?: string;
  keepObservations: number;
  summarizerEndpoint?: string;
  summarizerModel?: string;
  toolProtocol: "native" | "text";
  /** false with --no-token-ids */
  tokenIds: boolean;
  thinking?: "on" | "off";
  temperature: number;
  topP: number;
  seed: number;
  tokenizer: string;
  concurrency: number;
  apiKeyEnv?: string;
  retries: number;
  requestTimeout: number;
  jobs: number;
  toolTimeout: number;
  sqlMemory: number;
  testTimeout: number;
  testCmd?: string;
  maxChars: number;
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

function envSpec(value: string): EnvSpec {
  try {
    return parseEnvSpec(value);
  } catch (error) {
    throw new UsageError(`--env: ${(error as Error).message}`, { flag: "--env", cause: error });
  }
}

/** The options that shape episodes (the producer's and acc worker rollout's): all but --tasks, --endpoint, the outputs and --queue. */
export function rolloutOptions<C extends Command>(command: C): C {
  return addOptions(sandboxOptions(command), [
    new Option("--env <kind:path>", "sql:<database.sqlite>, search:<corpus.jsonl> or repo:<git repository>").argParser(envSpec).makeOptionMandatory(),
    new Option("--model <name>", "model name sent with each request").makeOptionMandatory(),
    positiveIntegerOption("--group-size <G>", "episodes per task (the GRPO group)", 4),
    choiceOption("--context <kind>", `context manager: ${CONTEXTS.join(", ")}`, CONTEXTS, "supo"),
    positiveIntegerOption("--window <W>", "working window in tokens (prompt + completion of any call)", 32768),
    numberOption("--ratio <r>", "supo/external: summarize when prompt + max tokens would pass ratio × window", { min: 0.01, max: 1 }, 0.95),
    wholeNumberOption("--max-summaries <S>", "summaries per episode; the next full window stops it (allow more at evaluation than in training)", 3),
    positiveIntegerOption("--max-steps <H>", "LLM calls of the policy per episode, summaries included", 100),
    maxTokensOption("max_tokens of each action call", 2048),
    positiveIntegerOption("--summary-max-tokens <n>", "max_tokens of a summary call (default: --max-tokens)"),
    new Option("--summary-prompt <file>", "supo: the summary request (v_sum); external: the summarizer's system prompt"),
    new Option("--continuation <file>", "text after the task in a segment that starts from a summary; {summary} is replaced"),
    wholeNumberOption("--keep-observations <k>", "mask-observations: tool results kept; older ones become a placeholder", 5),
    new Option("--summarizer-endpoint <url>", "external: the summarizer's endpoint (default: the policy's)"),
    new Option("--summarizer-model <name>", "external: the summarizer's model (default: the policy's)"),
    choiceOption("--tool-protocol <p>", "native (OpenAI function calling) or text (<tool_call> tags, for models without it)", ["native", "text"] as const, "native"),
    new Option("--no-token-ids", "do not ask the server for token ids and logprobs (vLLM return_token_ids); ids then come from --tokenizer"),
    choiceOption("--thinking <on|off>", "send enable_thinking to the chat template (Qwen3); default: the template's", ["on", "off"] as const),
    temperatureOption("sampling temperature", 1),
    numberOption("--top-p <p>", "nucleus sampling", { min: 0, max: 1 }, 1),
    seedOption("seed of every episode's sampling seed"),
    new Option("--tokenizer <name|dir>", "the served model's tokenizer: qwen3 (bundled), or a Hugging Face tokenizer folder").default("qwen3"),
    concurrencyOption("episodes in flight", 16),
    apiKeyEnvOption(),
    retriesOption(),
    secondsOption("--request-timeout <s>", "seconds an LLM request may wait for an answer", 600),
    positiveIntegerOption("--jobs <n>", "SQL processes, search threads or box commands at once", 2),
    secondsOption("--tool-timeout <s>", "seconds a SQL statement or a repo tool call (bash, view, edit, submit) may run", 30),
    mebibytesOption("--sql-memory <MiB>", "sql: memory of each SQL process", DEFAULT_ENV_SETTINGS.sqlMemoryBytes),
    secondsOption("--test-timeout <s>", "repo: seconds the test command may run", 300),
    new Option("--test-cmd <command>", "repo: the test command of tasks that name none (SWE-bench instances, acc mine stages)"),
    positiveIntegerOption("--max-chars <n>", "characters of one tool result shown to the agent", DEFAULT_MAX_CHARS),

  ]);
}

export type RolloutSetup = Omit<Parameters<typeof rolloutRun>[0], "tasks" | "outDir" | "shard" | "onProgress" | "queue">;
export type RolloutSetupFlags = Omit<RolloutFlags, "tasks" | "out" | "endpoint" | keyof ShardFlags | keyof OverwriteQuietFlags | keyof QueueFlags> & { endpoint?: string };

/** What the flags of rolloutOptions (and --endpoint, when given) ask for. */
export function rolloutSetup(flags: RolloutSetupFlags): RolloutSetup {
  const { context, maxTokens, env } = flags;
  const sandbox = sandboxSettings(flags, flags.toolTimeout);
  const client = { ...(flags.apiKeyEnv ? { apiKeyEnv: flags.apiKeyEnv } : {}), maxRetries: flags.retries };
  return {
    env,
    envSettings: {
      ...DEFAULT_ENV_SETTINGS,
      maxChars: flags.maxChars,
      sqlTimeoutMs: flags.toolTimeout,
      sqlMemoryBytes: flags.sqlMemory,
      jobs: flags.jobs,
      sandbox: { ...sandbox, limits: { ...sandbox.limits, outputChars: flags.maxChars } },
      testTimeoutMs: flags.testTimeout,
      ...(flags.testCmd !== undefined ? { testCommand: flags.testCmd } : {}),
    },
    ...(flags.endpoint !== undefined ? { client: { endpoint: flags.endpoint, ...client, concurrency: flags.concurrency, timeoutMs: flags.requestTimeout } } : {}),
    ...(context === "external"
      ? { summarizer: { model: flags.summarizerModel ?? flags.model, ...(flags.summarizerEndpoint ? { client: { endpoint: flags.summarizerEndpoint, ...client } } : {}) } }
      : {}),
    episode: {
      model: flags.model,
      maxSteps: flags.maxSteps,
      maxTokens,
      temperature: flags.temperature,
      topP: flags.topP,
      tokenIds: flags.tokenIds,
      ...(flags.thinking !== undefined ? { thinking: flags.thinking === "on" } : {}),
      protocol: flags.toolProtocol,
      context: {
        kind: context,
        window: flags.window,
        ratio: flags.ratio,
        maxSummaries: flags.maxSummaries,
        summaryMaxTokens: flags.summaryMaxTokens ?? maxTokens,
        summaryPrompt: flags.summaryPrompt ? readText(flags.summaryPrompt, "--summary-prompt") : context === "external" ? EXTERNAL_SUMMARY_PROMPT : SUPO_SUMMARY_PROMPT,
        continuation: flags.continuation ? readText(flags.continuation, "--continuation") : CONTINUATION,
        maxSummaryChars: 6000,
        keepObservations: flags.keepObservations,
        placeholder: OBSERVATION_PLACEHOLDER,
      },
    },
    groupSize: flags.groupSize,
    seed: flags.seed,
    tokenizer: flags.tokenizer,
    concurrency: flags.concurrency,
  };
}

/** A search corpus is indexed once before its first run (a large one takes minutes: said before the run seems to hang). */
export async function indexSearchCorpus(io: CliIo, env: EnvSpec, quiet: boolean): Promise<void> {
  if (env.kind === "search" && existsSync(env.path) && !isSqliteFile(env.path)) {
    await ensureSearchIndex(env.path, undefined, (path) => quiet || io.stderr.write(`indexing ${env.path} into ${path} (once: later runs open it)\n`));
  }
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
