import { setMaxListeners } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { trackMarker } from "../io/cleanup.js";
import { join } from "node:path";
import { type ChatRequest, type ChatResult, type LlmClient, LlmError } from "../llm/types.js";
import { contextBin } from "./bins.js";
import { type CoarseSplit, type EvalCounts, type EvalSummary, type Scored, summarize } from "./report.js";
import { renderHtmlReport } from "./report-html.js";
import { type ResultRecord, ResultsJournal, readResults, resultLine } from "./results.js";
import { writeFileAtomic } from "../io/atomic.js";
import { EvalDataError } from "./rows.js";
import { inProcessCounter, type TokenCounter } from "./tokens.js";
import type { EvalKind } from "./types.js";
import { UsageError } from "../errors/acc-error.js";
import { keyHash } from "../io/checkpoint.js";
import { inShard, type Shard } from "../shard/partition.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import type { RemoteStage } from "../queue/remote.js";
import { type EvalJobResult, evalJobKey, evalResultFromJob } from "./queue.js";

/**
 * Where answers come from: an endpoint (through the client: retries, cache), `acc worker eval` processes through a
 * queue (`remote` opens it for the run), or responses the user already has.
 */
export type AnswerSource =
  | { client: LlmClient; model: string; request?: Pick<ChatRequest, "max_tokens" | "temperature"> }
  | { remote: (run: string) => Promise<RemoteStage>; model: string; request?: Pick<ChatRequest, "max_tokens" | "temperature"> }
  | { responses: ReadonlyMap<string, string> };

export interface EvalRunOptions<Item extends { id: string }> {
  kind: EvalKind<Item>;
  items: AsyncIterable<Item> | Iterable<Item>;
  /** Gets results.jsonl (resumable journal, rewritten in item order at the end), failures.jsonl, summary.json, report.html. */
  outDir: string;
  answers: AnswerSource;
  /** Items in flight at once (default 16). */
  concurrency?: number;
  coarse?: CoarseSplit;
  /** How context tokens are counted for bins (default: in this thread). */
  tokens?: TokenCounter;
  /** Run only this shard's items (by item id), and write what `acc merge` needs. */
  shard?: Shard;
  /** After each item: the counts, and the items read so far (other shards' items included). */
  onProgress?: (counts: EvalCounts, itemsRead: number) => void;
}

export interface EvalRunResult {
  summary: EvalSummary;
  files: { results: string; summary: string; report: string; failures?: string };
}

/** Another run's results in the same folder (another eval, model or request) must not be resumed. */
export class EvalUsageError extends UsageError {
  override name = "EvalUsageError";
}

/** The endpoint's answer as the result record takes it. */
function answered(result: ChatResult): EvalJobResult {
  return { answer: { response: result.content ?? "", finish_reason: result.finish_reason, usage: result.usage, cached: result.cached, attempts: result.attempts } };
}

/** A failure seen later, where the promise is awaited. */
const ignore = () => undefined;

/** Jobs let go of at once, after their answers are written. */
const FORGET_BATCH = 256;

interface Failure {
  id: string;
  error: string;
  /** Set when the server refused the prompt as longer than the model's context window. */
  code?: "context-length";
  /** The prompt's tokens, for context-length refusals: which lengths the model cannot take. */
  tokens?: number;
}

/**
 * Runs an eval: each item is answered (or taken from an earlier run's results.jsonl, so a killed run
 * resumes without asking again), graded, and appended to results.jsonl as soon as it is done. At the
 * end results.jsonl is rewritten in item order, with every answer graded under the current settings,
 * and the summary and HTML report are written. Failed requests go to failures.jsonl and are asked
 * again by the next run.
 */
export async function runEval<Item extends { id: string }>(options: EvalRunOptions<Item>): Promise<EvalRunResult> {
  const { kind, outDir, answers } = options;
  await makeDirectory(outDir);
  const files = { results: join(outDir, "results.jsonl"), summary: join(outDir, "summary.json"), report: join(outDir, "report.html") };
  const failuresPath = join(outDir, "failures.jsonl");
  const asked = "responses" in answers ? undefined : answers;
  const model = asked ? asked.model : null;
  const counter = options.tokens ?? inProcessCounter();
  const earlier = await readResults(files.results);
  const earlierById = new Map(earlier.map((record) => [record.id, record]));
  if (asked) await checkManifest(outDir, kind.name, asked, earlier.length > 0);

  const counts: EvalCounts = { items: 0, graded: 0, failed: 0, over_context: 0, missing: 0, resumed: 0, cached: 0, unmatched_responses: 0 };
  // by position: each result's line (serialised once, for the journal and the final file) and what the
  // summary reads; not the whole record, which would stay alive, and be copied by every collection, to the end
  const done: (Scored & { line: string })[] = [];
  const failures = new Map<number, Failure>();
  const seen = new Set<string>();
  const journal = asked ? await ResultsJournal.open(files.results) : undefined;
  const run = keyHash({ eval: kind.name, settings: kind.settings, model, request: asked ? asked.request ?? {} : "responses" });
  const queue = "remote" in answers ? await answers.remote(options.shard ? keyHash([run, options.shard]) : run) : undefined;
  const abort = new AbortController();
  const concurrency = options.concurrency ?? 16;
  // the first error is the cause; requests it aborts fail after it
  let firstError: { cause: unknown } | undefined;
  const stop = (error: unknown) => {
    firstError ??= { cause: error };
    abort.abort();
    // slots waiting on a worker's answer stop too
    queue?.abandon(error);
  };
  // jobs whose answers are in the journal: let go of once it is written
  let saved: string[] = [];
  const forget = async () => {
    const keys = saved;
    saved = [];
    await journal!.flushed();
    await queue!.forget(keys);
  };
  // every request in flight listens to this one signal
  setMaxListeners(Math.max(10, 4 * concurrency), abort.signal);

  const handle = async (item: Item, position: number): Promise<void> => {
    const before = earlierById.get(item.id);
    if ("responses" in answers && !answers.responses.has(item.id)) {
      counts.missing++;
      return;
    }
    // counted while the request is out; awaited (and its failure seen) once the item is answered
    const counting = before ? Promise.resolve(before.tokens) : counter.count(kind.contextTexts(item));
    counting.catch(ignore);
    let answer: Pick<ResultRecord, "response"> & Partial<ResultRecord>;
    let fresh = false;
    let jobKey: string | undefined;
    if ("responses" in answers) {
      answer = { response: answers.responses.get(item.id)! };
    } else if (before) {
      const { response, finish_reason, usage, cached, attempts } = before;
      answer = { response, finish_reason, usage, cached, attempts };
      counts.resumed++;
    } else {
      const key = queue ? evalJobKey(item.id, kind.messages(item)) : undefined;
      const reply = queue ? await askQueue(queue, key!, item) : await askClient(answers as Extract<AnswerSource, { client: LlmClient }>, item);
      if ("error" in reply) {
        if (key !== undefined) release(key);
        counts.failed++;
        if (reply.code === "context-length") {
          counts.over_context++;
          failures.set(position, { id: item.id, error: reply.error, code: reply.code, tokens: await counting });
        } else {
          failures.set(position, { id: item.id, error: reply.error });
        }
        return;
      }
      answer = reply.answer;
      jobKey = key;
      if (answer.cached) counts.cached++;
      fresh = true;
    }
    const tokens = await counting;
    const { score, detail } = kind.grade(item, answer.response);
    const group = kind.group(item);
    const bin = contextBin(tokens);
    // field by field, not a spread: fields left undefined are dropped by JSON.stringify as a spread would leave them out
    const line = resultLine({
      id: item.id,
      group,
      tokens,
      bin,
      score,
      detail,
      response: answer.response,
      finish_reason: answer.finish_reason,
      usage: answer.usage,
      cached: answer.cached,
      attempts: answer.attempts,
    });
    done[position] = { group, tokens, bin, score, line };
    counts.graded++;
    if (fresh) journal?.append(line);
    if (jobKey !== undefined) release(jobKey);
  };

  /** A job whose outcome is written (or is a failure, asked again by the next run): let go of in batches. */
  const release = (key: string) => {
    saved.push(key);
    if (saved.length >= FORGET_BATCH) void forget().catch(stop);
  };

  /** The endpoint's answer, or its refusal as a failure. */
  // a promise chain, not an async function: its frame would be held by every request in flight
  const chatOptions = { signal: abort.signal };
  const refusal = (error: unknown): EvalJobResult => {
    if (!(error instanceof LlmError) || abort.signal.aborted) throw error;
    return { error: error.message, code: error.code };
  };
  const askClient = (source: Extract<AnswerSource, { client: LlmClient }>, item: Item): Promise<EvalJobResult> => {
    const messages = kind.messages(item);
    const request = source.request ? { model: source.model, messages, ...source.request } : { model: source.model, messages };
    return source.client.chat(request, chatOptions).then(answered, refusal);
  };

  /** A worker's answer or refusal; a job failed on every attempt (or a malformed result) is a failure too. */
  const askQueue = async (remote: RemoteStage, key: string, item: Item): Promise<EvalJobResult> => {
    const outcome = await remote.process(key, 0, { messages: kind.messages(item) });
    const result = outcome.ok ? evalResultFromJob(outcome.value) : { error: `job failed: ${outcome.reason} (${outcome.attempts} attempts)`, code: "job-failed" };
    return "malformed" in result ? { error: result.malformed, code: "job-failed" } : result;
  };

  const items = numbered(options.items);
  const worker = async () => {
    for (;;) {
      if (abort.signal.aborted) return;
      // in-memory items come back at once: no await (a turn of the microtask queue) for them
      const pulled = items.next();
      const next = pulled instanceof Promise ? await pulled : pulled;
      if (next.done) return;
      const [position, item] = next.value;
      if (seen.has(item.id)) throw new EvalDataError(`duplicate item id ${item.id}: give each data file a distinct name, or ids in an id column`);
      seen.add(item.id);
      if (!inShard(item.id, options.shard)) {
        options.onProgress?.({ ...counts }, seen.size);
        continue;
      }
      counts.items++;
      await handle(item, position);
      options.onProgress?.({ ...counts }, seen.size);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker().catch(stop)));
  try {
    if (queue && !firstError) await forget();
    await journal?.close();
  } catch (error) {
    firstError ??= { cause: error };
  } finally {
    await queue?.close();
  }
  if (firstError) throw firstError.cause;

  if ("responses" in answers) counts.unmatched_responses = [...answers.responses.keys()].filter((id) => !seen.has(id)).length;
  // in item order (a sparse array's methods skip the items without a result)
  const ordered = done.filter(() => true);
  const others = earlier.filter((record) => !seen.has(record.id)).map(resultLine);
  await writeFileAtomic(files.results, ordered.map((entry) => entry.line).join("") + others.join(""));
  let failuresFile: string | undefined;
  if (failures.size > 0) {
    failuresFile = failuresPath;
    await writeFileAtomic(failuresPath, [...failures.entries()].sort(([a], [b]) => a - b).map(([, failure]) => `${JSON.stringify(failure)}\n`).join(""));
  } else {
    await rm(failuresPath, { force: true });
  }
  if (options.shard) {
    // one line per item answered or failed, at its position among all items
    const positions = [...new Set([...done.keys()].filter((p) => p in done).concat([...failures.keys()]))].sort((a, b) => a - b);
    await writeFileAtomic(join(outDir, ORDER_FILE), positions.map((p) => orderLine(p, [p in done ? 1 : 0, failures.has(p) ? 1 : 0])).join(""));
    await writeManifest(outDir, { stage: "eval", target: kind.name, shard: options.shard, run, files: ["results.jsonl", "failures.jsonl"] });
  }
  const summary = summarize({
    eval: kind.name,
    model,
    settings: kind.settings,
    counts,
    records: ordered,
    ...(options.coarse ? { coarse: options.coarse } : {}),
  });
  await writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(files.report, renderHtmlReport(summary));
  return { summary, files: failuresFile ? { ...files, failures: failuresFile } : files };
}

/** Items with their 0-based position; safe to pull from several workers at once. */
function numbered<Item>(items: AsyncIterable<Item> | Iterable<Item>): AsyncIterator<[number, Item]> | Iterator<[number, Item]> {
  if (Symbol.iterator in items) {
    // items in memory: no async generator step per item
    const iterator = items[Symbol.iterator]();
    let position = 0;
    return {
      next: () => {
        const next = iterator.next();
        return next.done ? { done: true, value: undefined } : { done: false, value: [position++, next.value] };
      },
    };
  }
  async function* generate(): AsyncGenerator<[number, Item]> {
    let position = 0;
    for await (const item of items) yield [position++, item];
  }
  return generate();
}

interface Manifest {
  eval: string;
  model: string;
  request: Record<string, unknown>;
}

/**
 * run.json records which eval, model and request settings produced the answers in results.jsonl.
 * A folder holding another run's answers is refused rather than silently mixed.
 */
async function checkManifest(
  outDir: string,
  evalName: string,
  answers: Exclude<AnswerSource, { responses: ReadonlyMap<string, string> }>,
  hasEarlier: boolean,
): Promise<void> {
  const path = join(outDir, "run.json");
  const manifest: Manifest = { eval: evalName, model: answers.model, request: { ...answers.request } };
  const wanted = JSON.stringify(manifest);
  let found: string | undefined;
  try {
    // eslint-disable-next-line no-restricted-syntax -- any JSON is compared as text; eval loads no zod
    found = JSON.stringify(JSON.parse(await readFile(path, "utf8")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new EvalDataError(`${path}: unreadable run manifest: ${(error as Error).message}`);
  }
  if (found !== undefined && found !== wanted && hasEarlier) {
    throw new EvalUsageError(`${outDir} holds answers of another run (${found}); this run is ${wanted}. Use another --output folder.`);
  }
  if (found !== wanted) await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  trackMarker(path);
}
