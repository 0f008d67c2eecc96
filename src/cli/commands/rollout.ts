import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { DEFAULT_ENV_SETTINGS, DEFAULT_MAX_CHARS, ensureSearchIndex, isSqliteFile, parseEnvSpec } from "../../envs/index.js";
import { CONTINUATION, EXTERNAL_SUMMARY_PROMPT, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "../../rollout/context.js";
import { rolloutRun } from "../../rollout/run.js";
import { RolloutStats } from "../../rollout/stats.js";
import type { ContextName } from "../../rollout/types.js";
import { AccError } from "../../errors/acc-error.js";
import { readJsonLines } from "../../io/json-lines.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { STDIN } from "../../io/stdin.js";
import type { Episode } from "../../records/rollout.js";
import { type CliIo, existingInputs, parseChoice, parseInteger, readText, UsageError } from "../io.js";
import { parseRetries, retriesOption } from "../llm-flags.js";
import { setResumeHint } from "../interrupt.js";
import { createProgress } from "../progress.js";
import { renderTable } from "../table.js";
import { reportSandbox, sandboxFlags, sandboxSettings } from "./sandbox-flags.js";
import { shardFlag, shardOption } from "../shard-flag.js";

type Flags = Record<string, string | boolean | undefined>;

const CONTEXTS = ["supo", "external", "mask-observations", "none"] as const satisfies readonly ContextName[];

export function rolloutCommand(io: CliIo): Command {
  return sandboxFlags(new Command("rollout"))
    .description("Run an agent on tasks in an environment with a context manager (SUPO summaries and peers) and write RL training rows")
    .requiredOption("--env <kind:path>", "sql:<database.sqlite>, search:<corpus.jsonl> or repo:<git repository>")
    .requiredOption("--tasks <file>", "JSONL of rollout tasks (see docs/commands/rollout.md); - reads stdin")
    .requiredOption("--endpoint <url>", "OpenAI-compatible base URL of the policy, e.g. http://127.0.0.1:8000/v1")
    .requiredOption("--model <name>", "model name sent with each request")
    .requiredOption("-o, --out <dir>", "output folder: steps, episodes, rows (JSONL and Parquet), trajectories, stats.json")
    .option("--group-size <G>", "episodes per task (the GRPO group)", "4")
    .option("--context <kind>", `context manager: ${CONTEXTS.join(", ")}`, "supo")
    .option("--window <W>", "working window in tokens (prompt + completion of any call)", "32768")
    .option("--ratio <r>", "supo/external: summarize when prompt + max tokens would pass ratio × window", "0.95")
    .option("--max-summaries <S>", "summaries per episode; the next full window stops it (allow more at evaluation than in training)", "3")
    .option("--max-steps <H>", "LLM calls of the policy per episode, summaries included", "100")
    .option("--max-tokens <M>", "max_tokens of each action call", "2048")
    .option("--summary-max-tokens <n>", "max_tokens of a summary call (default: --max-tokens)")
    .option("--summary-prompt <file>", "supo: the summary request (v_sum); external: the summarizer's system prompt")
    .option("--continuation <file>", "text after the task in a segment that starts from a summary; {summary} is replaced")
    .option("--keep-observations <k>", "mask-observations: tool results kept; older ones become a placeholder", "5")
    .option("--summarizer-endpoint <url>", "external: the summarizer's endpoint (default: the policy's)")
    .option("--summarizer-model <name>", "external: the summarizer's model (default: the policy's)")
    .option("--tool-protocol <p>", "native (OpenAI function calling) or text (<tool_call> tags, for models without it)", "native")
    .option("--no-token-ids", "do not ask the server for token ids and logprobs (vLLM return_token_ids); ids then come from --tokenizer")
    .option("--thinking <on|off>", "send enable_thinking to the chat template (Qwen3); default: the template's")
    .option("--temperature <t>", "sampling temperature", "1")
    .option("--top-p <p>", "nucleus sampling", "1")
    .option("--seed <n>", "seed of every episode's sampling seed", "0")
    .option("--tokenizer <name|dir>", "the served model's tokenizer: qwen3 (bundled), or a Hugging Face tokenizer folder", "qwen3")
    .option("--concurrency <n>", "episodes in flight", "16")
    .option("--api-key-env <var>", "environment variable holding the API key")
    .addOption(retriesOption())
    .option("--request-timeout <s>", "seconds an LLM request may wait for an answer", "600")
    .option("--jobs <n>", "SQL processes, search threads or box commands at once", "2")
    .option("--tool-timeout <s>", "seconds a SQL statement or a repo tool call (bash, view, edit, submit) may run", "30")
    .option("--sql-memory <MiB>", "sql: memory of each SQL process", String(DEFAULT_ENV_SETTINGS.sqlMemoryBytes / 1024 / 1024))
    .option("--test-timeout <s>", "repo: seconds the test command may run", "300")
    .option("--test-cmd <command>", "repo: the test command of tasks that name none (SWE-bench instances, acc mine stages)")
    .option("--max-chars <n>", "characters of one tool result shown to the agent", String(DEFAULT_MAX_CHARS))
    .addOption(shardFlag("tasks split by a hash of their id"))
    .option("--overwrite", "write into a folder holding another stage's outputs (they are removed first), or start afresh instead of resuming")
    .option("-q, --quiet", "no progress display")
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
    .action(async (flags: Flags) => {
      existingInputs([String(flags.tasks)], "--tasks");
      const context = parseChoice(String(flags.context), "--context", CONTEXTS);
      const maxTokens = parseInteger(String(flags.maxTokens), "--max-tokens");
      const window = parseInteger(String(flags.window), "--window");
      const groupSize = parseInteger(String(flags.groupSize), "--group-size");
      let env: ReturnType<typeof parseEnvSpec>;
      try {
        env = parseEnvSpec(String(flags.env));
      } catch (error) {
        throw new UsageError(`--env: ${(error as Error).message}`, { cause: error });
      }
      const toolTimeoutMs = seconds(flags.toolTimeout, "--tool-timeout");
      const maxChars = parseInteger(String(flags.maxChars), "--max-chars");
      const sandbox = sandboxSettings(flags, toolTimeoutMs);
      const outDir = String(flags.out);
      // a run from stdin cannot be resumed: the tasks are gone once read
      if (String(flags.tasks) !== STDIN) setResumeHint(`rerun the same command to resume (progress is saved in ${outDir})`);
      const progress = createProgress(io.stderr, "rollout", { quiet: Boolean(flags.quiet) });
      try {
        if (env.kind === "search" && existsSync(env.path) && !isSqliteFile(env.path)) {
          // a large corpus takes minutes to index: say so before the run seems to hang
          await ensureSearchIndex(env.path, undefined, (path) => flags.quiet || io.stderr.write(`indexing ${env.path} into ${path} (once: later runs open it)\n`));
        }
        const runOptions: Parameters<typeof rolloutRun>[0] = {
          tasks: String(flags.tasks),
          outDir,
          env,
          envSettings: {
            ...DEFAULT_ENV_SETTINGS,
            maxChars,
            sqlTimeoutMs: toolTimeoutMs,
            sqlMemoryBytes: parseInteger(String(flags.sqlMemory), "--sql-memory") * 1024 * 1024,
            jobs: parseInteger(String(flags.jobs), "--jobs"),
            sandbox: { ...sandbox, limits: { ...sandbox.limits, outputChars: maxChars } },
            testTimeoutMs: seconds(flags.testTimeout, "--test-timeout"),
            ...(flags.testCmd !== undefined ? { testCommand: String(flags.testCmd) } : {}),
          },
          client: {
            endpoint: String(flags.endpoint),
            ...(flags.apiKeyEnv ? { apiKeyEnv: String(flags.apiKeyEnv) } : {}),
            concurrency: parseInteger(String(flags.concurrency), "--concurrency"),
            timeoutMs: seconds(flags.requestTimeout, "--request-timeout"),
            maxRetries: parseRetries(flags.retries),
          },
          ...(context === "external"
            ? {
                summarizer: {
                  model: String(flags.summarizerModel ?? flags.model),
                  ...(flags.summarizerEndpoint ? { client: { endpoint: String(flags.summarizerEndpoint), maxRetries: parseRetries(flags.retries), ...(flags.apiKeyEnv ? { apiKeyEnv: String(flags.apiKeyEnv) } : {}) } } : {}),
                },
              }
            : {}),
          episode: {
            model: String(flags.model),
            maxSteps: parseInteger(String(flags.maxSteps), "--max-steps"),
            maxTokens,
            temperature: number(flags.temperature, "--temperature", 0, 2),
            topP: number(flags.topP, "--top-p", 0, 1),
            tokenIds: flags.tokenIds !== false,
            ...(flags.thinking !== undefined ? { thinking: parseChoice(String(flags.thinking), "--thinking", ["on", "off"] as const) === "on" } : {}),
            protocol: parseChoice(String(flags.toolProtocol), "--tool-protocol", ["native", "text"] as const),
            context: {
              kind: context,
              window,
              ratio: number(flags.ratio, "--ratio", 0.01, 1),
              maxSummaries: wholeNumber(flags.maxSummaries, "--max-summaries"),
              summaryMaxTokens: flags.summaryMaxTokens === undefined ? maxTokens : parseInteger(String(flags.summaryMaxTokens), "--summary-max-tokens"),
              summaryPrompt: flags.summaryPrompt ? readText(String(flags.summaryPrompt), "--summary-prompt") : context === "external" ? EXTERNAL_SUMMARY_PROMPT : SUPO_SUMMARY_PROMPT,
              continuation: flags.continuation ? readText(String(flags.continuation), "--continuation") : CONTINUATION,
              maxSummaryChars: 6000,
              keepObservations: wholeNumber(flags.keepObservations, "--keep-observations"),
              placeholder: OBSERVATION_PLACEHOLDER,
            },
          },
          groupSize,
          seed: wholeNumber(flags.seed, "--seed"),
          tokenizer: String(flags.tokenizer),
          concurrency: parseInteger(String(flags.concurrency), "--concurrency"),
          ...shardOption(flags),
          onProgress: (done, total, s) => {
            const d = s.data;
            progress.update(done, `${done}/${total} groups, ${d.episodes} episodes, success ${percent(d.successes, d.episodes)}, ${(d.summaries / Math.max(1, d.episodes)).toFixed(2)} summaries/episode`, total);
          },
        };
        await claimOutputDir(outDir, { stage: "rollout" }, { overwrite: Boolean(flags.overwrite), inputs: [String(flags.tasks)] });
        if (env.kind === "repo") await reportSandbox(io, flags, sandbox);
        const stats = await rolloutRun(runOptions);
        progress.stop();
        io.stdout.write(`${rolloutSummary(stats)}\n`);
        io.stderr.write(`wrote ${outDir}/{steps,episodes,rows,trajectories}.jsonl, rows.parquet, stats.json\n`);
        const d = stats.data;
        if (d.episodes > 0 && d.errors === d.episodes) {
          const first = await firstEpisodeError(join(outDir, "episodes.jsonl"));
          throw new AccError(`every episode stopped on an error (${d.errors} of ${d.episodes})${first ? `; the first: ${first}` : ""}`, {
            code: "no-records",
            fix: `check that --endpoint ${String(flags.endpoint)} serves --model ${String(flags.model)}; each episode's error is in ${outDir}/episodes.jsonl`,
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

function number(value: unknown, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} expects a number from ${min} to ${max}, got "${String(value)}"`);
  return n;
}

function wholeNumber(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number, got "${String(value)}"`);
  return n;
}

function seconds(value: unknown, flag: string): number {
  return Math.round(number(value, flag, 0.001, 86_400) * 1000);
}
