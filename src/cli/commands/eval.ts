import { Command } from "commander";
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
import { createClient } from "../../llm/client.js";
import type { LlmClient } from "../../llm/types.js";
import { type CliIo, parseChoice, parseInteger, UsageError } from "../io.js";
import { parseRetries, retriesOption } from "../llm-flags.js";
import { setResumeHint } from "../interrupt.js";
import { progressWithTotal } from "../progress.js";
import { shardFlag, shardOption } from "../shard-flag.js";

type Flags = Record<string, string | string[] | boolean | undefined>;

export function evalCommand(io: CliIo): Command {
  return new Command("eval")
    .description("Run MRCR or GraphWalks against an OpenAI-compatible endpoint (or grade responses you have) and report by context length")
    .argument("<eval>", "mrcr or graphwalks")
    .requiredOption("--data <sources...>", "Parquet or JSONL files (- reads stdin), and/or generated[:key=value,…] (see docs/commands/eval.md)")
    .option("--endpoint <url>", "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    .option("--model <name>", "model name sent with each request")
    .option("--api-key-env <var>", "environment variable holding the API key")
    .addOption(retriesOption())
    .option("--responses <file>", 'grade these responses instead of asking an endpoint: JSONL of {"id": …, "text": …}')
    .option("-o, --output <dir>", "results folder (default: acc-eval-<eval>)")
    .option("--concurrency <n>", "requests in flight", "16")
    .option("--limit <n>", "only the first n items")
    .option("--max-tokens <n>", "max_tokens of each request (default: the server's)")
    .option("--temperature <t>", "temperature of each request (default: the server's)")
    .option("--cache <dir>", "response cache folder, shared by runs", ".acc-cache/llm")
    .option("--no-cache", "send every request even when a cached answer exists")
    .option("--parse <mode>", `GraphWalks answer parsing: ${PARSE_MODES.join(" or ")}`, "brackets")
    .option("--empty-gold <mode>", `GraphWalks score for an empty gold set: ${EMPTY_GOLD_MODES.join(" or ")}`, "zero")
    .option("--save-data <file>", "also write the items (official columns plus id) as JSONL (- for stdout, alone); alone, only this is done")
    .option("--check-gold", "GraphWalks: recompute each row's answer from its prompt and flag rows whose stored answer_nodes differ (nothing is sent)")
    .addOption(shardFlag("items split by a hash of their id"))
    .option("--overwrite", "write into a folder holding another stage's or eval's outputs (they are removed first)")
    .option("-q, --quiet", "no progress display")
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
    .action(async (name: string, flags: Flags) => {
      const evalName = parseChoice(name, "<eval>", ["mrcr", "graphwalks"] as const);
      const graphwalks = graphwalksOptions(evalName, flags);
      if (flags.checkGold) return checkGold(io, evalName, flags);
      const answers = await answerSource(flags);
      if (answers && flags.saveData === "-") throw new UsageError("--save-data - writes the items to stdout, where the run's table goes too: give a file, or use --save-data - alone");
      const outDir = (flags.output as string | undefined) ?? `acc-eval-${evalName}`;
      const limit = flags.limit ? parseInteger(String(flags.limit), "--limit") : undefined;
      const progress = await progressWithTotal(io.stderr, `eval ${evalName}`, Boolean(flags.quiet), () => countItems(evalName, flags.data as string[], limit));
      try {
        const concurrency = parseInteger(String(flags.concurrency), "--concurrency");
        if (answers) setResumeHint(`rerun the same command to resume (answers so far are in ${outDir}/results.jsonl)`);
        if (answers) await claimOutputDir(outDir, { stage: "eval", target: evalName }, { overwrite: Boolean(flags.overwrite), inputs: flags.data as string[] });
        const result = await evaluate({
          eval: evalName,
          data: flags.data as string[],
          ...(limit ? { limit } : {}),
          graphwalks,
          ...(flags.saveData ? { saveData: flags.saveData === "-" ? streamSink(io.stdout) : String(flags.saveData) } : {}),
          ...(answers ? { answers, outDir } : {}),
          concurrency,
          ...shardOption(flags),
          onProgress: (c, read) => progress.update(read, `${c.items} items, ${c.graded} graded, ${c.failed} failed`),
        });
        progress.stop();
        if (flags.saveData && flags.saveData !== "-") io.stderr.write(`wrote items to ${flags.saveData}\n`);
        if (result) {
          io.stdout.write(`${renderSummary(result.summary)}\n`);
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
async function checkGold(io: CliIo, evalName: EvalName, flags: Flags): Promise<void> {
  if (evalName !== "graphwalks") throw new UsageError("--check-gold applies to graphwalks only (MRCR's answers are not derived from the prompt)");
  for (const flag of ["endpoint", "responses", "saveData"] as const) {
    if (flags[flag] !== undefined) throw new UsageError(`--check-gold checks the data alone: run it without --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  const outDir = (flags.output as string | undefined) ?? "acc-eval-graphwalks-gold";
  const limit = flags.limit ? parseInteger(String(flags.limit), "--limit") : undefined;
  await claimOutputDir(outDir, { stage: "eval", target: "graphwalks-gold" }, { overwrite: Boolean(flags.overwrite), inputs: flags.data as string[] });
  const progress = await progressWithTotal(io.stderr, "gold check", Boolean(flags.quiet), () => countItems(evalName, flags.data as string[], limit));
  try {
    const result = await checkGraphwalksGold({ data: flags.data as string[], ...(limit ? { limit } : {}), outDir, onRow: (rows) => progress.update(rows, `${rows} rows`) });
    progress.stop();
    io.stdout.write(`${renderGoldSummary(result.summary)}\n`);
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
async function nothingGraded(result: EvalRunResult, flags: Flags): Promise<AccError> {
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
      fix: `check that --endpoint ${String(flags.endpoint)} serves --model ${String(flags.model)}; rerun to ask the failed items again`,
    });
  }
  return new AccError(`no item graded: --responses ${String(flags.responses)} answers none of the ${counts.items} items (${counts.unmatched_responses} responses with other ids)`, {
    code: "no-records",
    fix: "the responses' ids must be the items' ids (see --save-data)",
  });
}

async function firstFailure(path: string): Promise<string | undefined> {
  for await (const line of readJsonLines(path, 64 * 1024 * 1024)) if (!("error" in line)) return String((line.value as { error?: unknown }).error);
  return undefined;
}

function graphwalksOptions(evalName: EvalName, flags: Flags): GraphwalksOptions {
  const parse = parseChoice(String(flags.parse), "--parse", PARSE_MODES);
  const emptyGold = parseChoice(String(flags.emptyGold), "--empty-gold", EMPTY_GOLD_MODES);
  if (evalName !== "graphwalks" && (parse !== "brackets" || emptyGold !== "zero")) throw new UsageError("--parse and --empty-gold apply to graphwalks only");
  return { parse, emptyGold };
}

async function answerSource(flags: Flags): Promise<AnswerSource | undefined> {
  if (flags.responses !== undefined) {
    if (flags.endpoint !== undefined) throw new UsageError("give --endpoint or --responses, not both");
    return { responses: await readResponses(String(flags.responses)) };
  }
  if (flags.endpoint === undefined) {
    if (flags.saveData === undefined) throw new UsageError("give --endpoint and --model to run the eval, --responses to grade answers you have, or --save-data to only write the items");
    return undefined;
  }
  if (flags.model === undefined) throw new UsageError("--endpoint needs --model");
  const request: NonNullable<Extract<AnswerSource, { client: LlmClient }>["request"]> = {};
  if (flags.maxTokens !== undefined) request.max_tokens = parseInteger(String(flags.maxTokens), "--max-tokens");
  if (flags.temperature !== undefined) {
    const temperature = Number(flags.temperature);
    if (!Number.isFinite(temperature) || temperature < 0) throw new UsageError(`--temperature expects a number ≥ 0, got "${flags.temperature}"`);
    request.temperature = temperature;
  }
  let client: LlmClient;
  try {
    client = createClient({
      endpoint: String(flags.endpoint),
      concurrency: parseInteger(String(flags.concurrency), "--concurrency"),
      maxRetries: parseRetries(flags.retries),
      ...(flags.apiKeyEnv ? { apiKeyEnv: String(flags.apiKeyEnv) } : {}),
      ...(flags.cache === false ? {} : { cacheDir: String(flags.cache) }),
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  return { client, model: String(flags.model), request };
}
