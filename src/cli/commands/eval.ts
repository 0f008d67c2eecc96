import { Command, Option } from "commander";
import { readResponses } from "../../evals/data.js";
import { checkGraphwalksGold, countItems, evaluate } from "../../evals/evaluate.js";
import { renderGoldSummary } from "../../evals/graphwalks-gold.js";
import { EMPTY_GOLD_MODES, type GraphwalksOptions, PARSE_MODES } from "../../evals/graphwalks.js";
import { renderSummary } from "../../evals/report.js";
import type { AnswerSource, EvalRunResult } from "../../evals/runner.js";
import { AccError } from "../../errors/acc-error.js";
import { readJsonLines } from "../../io/json-lines.js";
import { streamSink } from "../../io/atomic.js";
import { claimOutputDir } from "../../io/output-dir.js";
import type { EvalName } from "../../evals/types.js";
import { checkReachable } from "../../queue/connection.js";
import { evalSettings } from "../../evals/queue.js";
import { type QueueFlags, queueOption, queueOptions } from "../queue-flags.js";
import { type CliIo, UsageError } from "../io.js";
import { makeClient } from "../llm-client.js";
import {
  addOptions,
  apiKeyEnvOption,
  cacheOptions,
  choiceOption,
  type ClientFlags,
  concurrencyOption,
  maxTokensOption,
  type OutFlags,
  type OverwriteQuietFlags,
  outOption,
  outPath,
  outputAliasOption,
  overwriteOption,
  parseChoice,
  positiveIntegerOption,
  quietOption,
  retriesOption,
  samplingRequest,
  temperatureOption,
} from "../options.js";
import { setResumeHint } from "../interrupt.js";
import { progressWithTotal } from "../progress.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";

interface EvalFlags extends Omit<ClientFlags, "apiKeyFile">, OutFlags, ShardFlags, OverwriteQuietFlags, QueueFlags {
  data: string[];
  endpoint?: string;
  model?: string;
  responses?: string;
  concurrency: number;
  limit?: number;
  maxTokens?: number;
  temperature?: number;
  parse: (typeof PARSE_MODES)[number];
  emptyGold: (typeof EMPTY_GOLD_MODES)[number];
  saveData?: string;
  checkGold?: boolean;
}

export function evalCommand(io: CliIo): Command {
  return addOptions(
    new Command("eval")
      .description("Run MRCR or GraphWalks against an OpenAI-compatible endpoint (or grade responses you have) and report by context length")
      .argument("<eval>", "mrcr or graphwalks"),
    [
      new Option("--data <sources...>", "Parquet or JSONL files (- reads stdin), and/or generated[:key=value,…] (see docs/commands/eval.md)").makeOptionMandatory(),
      new Option("--endpoint <url>", "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1"),
      new Option("--model <name>", "model name sent with each request"),
      apiKeyEnvOption(),
      retriesOption(),
      new Option("--responses <file>", 'grade these responses instead of asking an endpoint: JSONL of {"id": …, "text": …}').conflicts("endpoint"),
      outOption("results folder (default: acc-eval-<eval>)"),
      outputAliasOption(),
      concurrencyOption("requests in flight; with --queue, jobs in the queue at once", 16),
      positiveIntegerOption("--limit <n>", "only the first n items"),
      maxTokensOption("max_tokens of each request (default: the server's)"),
      temperatureOption("temperature of each request (default: the server's)"),
      ...cacheOptions(),
      choiceOption("--parse <mode>", `GraphWalks answer parsing: ${PARSE_MODES.join(" or ")}`, PARSE_MODES, "brackets"),
      choiceOption("--empty-gold <mode>", `GraphWalks score for an empty gold set: ${EMPTY_GOLD_MODES.join(" or ")}`, EMPTY_GOLD_MODES, "zero"),
      new Option("--save-data <file>", "also write the items (official columns plus id) as JSONL (- for stdout, alone); alone, only this is done"),
      new Option("--check-gold", "GraphWalks: recompute each row's answer from its prompt and flag rows whose stored answer_nodes differ (nothing is sent)").conflicts(["endpoint", "responses", "saveData"]),
      shardFlag("items split by a hash of their id"),
      ...queueOptions("items"),
      overwriteOption("write into a folder holding another stage's or eval's outputs (they are removed first)"),
      quietOption(),
    ],
  )
    .addHelpText(
      "after",
      `
Examples:
  acc eval mrcr --data 2needle/2needle_0.parquet --endpoint http://127.0.0.1:8000/v1 --model qwen3 --max-tokens 8192
  acc eval graphwalks --data graphwalks_128k_and_shorter.parquet --endpoint https://api.openai.com/v1 --api-key-env OPENAI_API_KEY --model gpt-4.1
  acc eval mrcr --data generated:sizes=8k+32k,per-size=20,seed=7 --save-data mrcr-gen.jsonl
  acc eval graphwalks --data graphwalks_128k_and_shorter.parquet --responses my-answers.jsonl -o gw-graded
  acc eval graphwalks --data graphwalks_128k_and_shorter.parquet --check-gold -o gw-gold`,
    )
    .action(async (name: string, flags: EvalFlags) => {
      const evalName = parseChoice(name, "<eval>", ["mrcr", "graphwalks"] as const);
      const graphwalks = graphwalksOptions(evalName, flags);
      if (flags.checkGold) return checkGold(io, evalName, flags);
      const answers = await answerSource(flags);
      if (answers && flags.saveData === "-") throw new UsageError("--save-data - writes the items to stdout, where the run's table goes too: give a file, or use --save-data - alone");
      const outDir = outPath(flags) ?? `acc-eval-${evalName}`;
      const limit = flags.limit;
      const progress = await progressWithTotal(io.stderr, `eval ${evalName}`, Boolean(flags.quiet), () => countItems(evalName, flags.data, limit));
      try {
        if (answers) setResumeHint(`rerun the same command to resume (answers so far are in ${outDir}/results.jsonl)`);
        if (answers) await claimOutputDir(outDir, { stage: "eval", target: evalName }, { overwrite: Boolean(flags.overwrite), inputs: flags.data });
        if (answers && "remote" in answers) await checkReachable(flags.queue!);
        const result = await evaluate({
          eval: evalName,
          data: flags.data,
          ...(limit ? { limit } : {}),
          graphwalks,
          ...(flags.saveData ? { saveData: flags.saveData === "-" ? streamSink(io.stdout) : flags.saveData } : {}),
          ...(answers ? { answers, outDir } : {}),
          concurrency: flags.concurrency,
          ...(flags.shard ? { shard: flags.shard } : {}),
          onProgress: (c, read) => progress.update(read, `${c.items} items, ${c.graded} graded, ${c.failed} failed`),
        });
        progress.stop();
        if (flags.saveData && flags.saveData !== "-") io.stderr.write(`wrote items to ${flags.saveData}\n`);
        if (result) {
          io.stderr.write(`${renderSummary(result.summary)}\n`);
          const written = Object.values(result.files).join(", ");
          io.stderr.write(`wrote ${written}\n`);
          // a shard none of the items fall in has done all its work
          if (result.summary.counts.graded === 0 && !(flags.shard !== undefined && result.summary.counts.items === 0)) throw await nothingGraded(result, flags);
        }
      } finally {
        progress.stop();
        if (answers && "client" in answers) await answers.client.close();
      }
    });
}

/** --check-gold: a check of the data alone, refused beside the flags that run or save an eval. */
async function checkGold(io: CliIo, evalName: EvalName, flags: EvalFlags): Promise<void> {
  if (evalName !== "graphwalks") throw new UsageError("--check-gold applies to graphwalks only (MRCR's answers are not derived from the prompt)");
  const outDir = outPath(flags) ?? "acc-eval-graphwalks-gold";
  const limit = flags.limit;
  await claimOutputDir(outDir, { stage: "eval", target: "graphwalks-gold" }, { overwrite: Boolean(flags.overwrite), inputs: flags.data });
  const progress = await progressWithTotal(io.stderr, "gold check", Boolean(flags.quiet), () => countItems(evalName, flags.data, limit));
  try {
    const result = await checkGraphwalksGold({ data: flags.data, ...(limit ? { limit } : {}), outDir, onRow: (rows) => progress.update(rows, `${rows} rows`) });
    progress.stop();
    io.stderr.write(`${renderGoldSummary(result.summary)}\n`);
    io.stderr.write(`wrote ${result.files.checks}, ${result.files.summary}\n`);
    if (result.summary.rows === 0) throw new AccError("no rows in --data", { code: "no-records" });
    if (result.summary.unreadable === result.summary.rows) {
      throw new AccError(`no row could be checked: none of the ${result.summary.rows} prompts has the GraphWalks shape (see ${result.files.checks})`, { code: "no-records" });
    }
  } finally {
    progress.stop();
  }
}

/** An eval in which no item was graded: every request failed, no response matched, or there were no items. */
async function nothingGraded(result: EvalRunResult, flags: EvalFlags): Promise<AccError> {
  const { counts } = result.summary;
  if (counts.items === 0) return new AccError("no items in --data", { code: "no-records" });
  if (counts.over_context === counts.items) {
    return new AccError(`no item graded: the server refused all ${counts.items} prompts as longer than the model's context window`, {
      code: "no-records",
      fix: "serve the model with a longer context window (e.g. vLLM --max-model-len), or eval shorter items (e.g. --data generated:sizes=8k)",
    });
  }
  if (counts.failed > 0) {
    const first = result.files.failures ? await firstFailure(result.files.failures) : undefined;
    return new AccError(`no item graded: all ${counts.failed} requests failed${first ? `; the first: ${first}` : ""}`, {
      code: "no-records",
      fix: `check that --endpoint ${flags.endpoint} serves --model ${flags.model}; rerun to ask the failed items again`,
    });
  }
  return new AccError(`no item graded: --responses ${flags.responses} answers none of the ${counts.items} items (${counts.unmatched_responses} responses with other ids)`, {
    code: "no-records",
    fix: "the responses' ids must be the items' ids (see --save-data)",
  });
}

async function firstFailure(path: string): Promise<string | undefined> {
  for await (const line of readJsonLines(path, 64 * 1024 * 1024)) if (!("error" in line)) return String((line.value as { error?: unknown }).error);
  return undefined;
}

function graphwalksOptions(evalName: EvalName, flags: EvalFlags): GraphwalksOptions {
  const { parse, emptyGold } = flags;
  if (evalName !== "graphwalks" && (parse !== "brackets" || emptyGold !== "zero")) throw new UsageError("--parse and --empty-gold apply to graphwalks only");
  return { parse, emptyGold };
}

async function answerSource(flags: EvalFlags): Promise<AnswerSource | undefined> {
  if (flags.responses !== undefined) {
    if (flags.queue !== undefined) throw new UsageError("give --queue or --responses, not both");
    return { responses: await readResponses(flags.responses) };
  }
  const queue = queueOption(flags);
  if (queue) {
    if (flags.endpoint !== undefined) throw new UsageError("give --endpoint or --queue, not both: with --queue, acc worker eval processes call the endpoint", { flag: "--queue" });
    if (flags.model === undefined) throw new UsageError("--queue needs --model");
    const model = flags.model;
    const request = samplingRequest(flags);
    return { remote: (run) => queue.open({ stage: "eval", run, settings: evalSettings(model, request) }), model, request };
  }
  if (flags.endpoint === undefined) {
    if (flags.saveData === undefined) throw new UsageError("give --endpoint and --model to run the eval, --responses to grade answers you have, or --save-data to only write the items");
    return undefined;
  }
  if (flags.model === undefined) throw new UsageError("--endpoint needs --model");
  return { client: makeClient(flags.endpoint, flags, flags.concurrency), model: flags.model, request: samplingRequest(flags) };
}
