import { existsSync } from "node:fs";
import { type Command, Option } from "commander";
import { DEFAULT_ENV_SETTINGS, DEFAULT_MAX_CHARS, ensureSearchIndex, type EnvSpec, isSqliteFile, parseEnvSpec } from "../envs/index.js";
import { CONTINUATION, EXTERNAL_SUMMARY_PROMPT, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "../rollout/context.js";
import type { rolloutRun } from "../rollout/run.js";
import type { ContextName } from "../rollout/types.js";
import { type CliIo, readText, UsageError } from "./io.js";
import {
  addOptions,
  apiKeyEnvOption,
  choiceOption,
  concurrencyOption,
  maxTokensOption,
  mebibytesOption,
  numberOption,
  positiveIntegerOption,
  retriesOption,
  secondsOption,
  seedOption,
  temperatureOption,
  wholeNumberOption,
} from "./options.js";
import { type SandboxFlags, sandboxOptions, sandboxSettings } from "./sandbox-options.js";

// The options that shape rollout episodes, shared by acc rollout and acc worker rollout (a command imports no other command).

const CONTEXTS = ["supo", "external", "mask-observations", "none"] as const satisfies readonly ContextName[];

/** The flags of rolloutOptions as an action receives them (times in milliseconds, sizes in bytes). */
export interface RolloutOptionFlags extends SandboxFlags {
  env: EnvSpec;
  model: string;
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
export type RolloutSetupFlags = RolloutOptionFlags & { endpoint?: string };

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
