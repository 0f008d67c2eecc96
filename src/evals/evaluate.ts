import { join } from "node:path";
import { AtomicFile, type LineSink, openOutput, type Output, writeFileAtomic } from "../io/atomic.js";
import { loadItems } from "./data.js";
import { countDataRows } from "./rows.js";
import { generateGraphwalks } from "./generate-graphwalks.js";
import { generateMrcr } from "./generate-mrcr.js";
import { type GeneratedSpec, isGeneratedSource, parseGeneratedSpec } from "./generated-spec.js";
import { type GraphwalksItem, type GraphwalksOptions, graphwalksEval } from "./graphwalks.js";
import { checkGold, type GoldCheck, type GoldCheckSummary, summarizeGoldChecks } from "./graphwalks-gold.js";
import { type MrcrItem, mrcrEval } from "./mrcr.js";
import { textFileReplies } from "./mrcr-text.js";
import type { CoarseSplit, EvalCounts } from "./report.js";
import { type AnswerSource, type EvalRunResult, runEval } from "./runner.js";
import { o200k, workerCounter } from "./tokens.js";
import type { EvalKind, EvalName } from "./types.js";
import type { Shard } from "../shard/partition.js";

export interface EvaluateOptions {
  eval: EvalName;
  /** Data files (Parquet or JSONL) and/or `generated[:key=value,…]` specs, read in order. */
  data: readonly string[];
  limit?: number;
  graphwalks?: GraphwalksOptions;
  /** Also write the items (official columns plus id) to this JSONL file (or sink). */
  saveData?: Output;
  /** Without answers nothing is run: only saveData is written. */
  answers?: AnswerSource;
  outDir?: string;
  concurrency?: number;
  shard?: Shard;
  /** After each item: the counts, and the items read so far (other shards' items included). */
  onProgress?: (counts: EvalCounts, itemsRead: number) => void;
}

interface Definition<Item extends { id: string }> {
  kind: EvalKind<Item>;
  generate(spec: GeneratedSpec): Promise<Iterable<Item>>;
  coarse?: CoarseSplit;
}

/** GraphWalks' official results are per file: "128k and shorter" and "256k to 1M". */
export const GRAPHWALKS_SPLIT: CoarseSplit = {
  title: "Official split: ≤128k and >128k o200k_base tokens",
  labels: ["≤128k", ">128k"],
  of: (tokens) => (tokens <= 131072 ? "≤128k" : ">128k"),
};

function mrcrDefinition(): Definition<MrcrItem> {
  return {
    kind: mrcrEval(),
    async generate(spec) {
      const source = spec.source === undefined ? undefined : await textFileReplies(spec.source);
      const tokenizer = await o200k();
      return generateMrcr({ seed: spec.seed, tokens: spec.sizes, perSize: spec.perSize, needles: spec.needles, tokenizer, ...(source ? { source } : {}) });
    },
  };
}

function graphwalksDefinition(options: GraphwalksOptions): Definition<GraphwalksItem> {
  return {
    kind: graphwalksEval(options),
    generate: async (spec) => generateGraphwalks({ seed: spec.seed, promptChars: spec.sizes, perSize: spec.perSize, problems: spec.problems }),
    coarse: GRAPHWALKS_SPLIT,
  };
}

/** How many items the data hold, `limit` applied: generated specs by their counts, files by their rows (for progress). */
export async function countItems(evalName: EvalName, data: readonly string[], limit = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  for (const source of data) {
    if (!isGeneratedSource(source)) total += await countDataRows(source);
    else {
      const spec = parseGeneratedSpec(evalName, source);
      total += spec.sizes.length * spec.perSize * (evalName === "mrcr" ? spec.needles.length : spec.problems.length);
    }
  }
  return Math.min(total, limit);
}

/** Loads or generates the items, optionally saves them, and runs and grades them when answers are given. */
/** The second binning an eval's summary reports, by the eval's name (acc merge rebuilds a summary with it). */
export function coarseSplitOf(evalName: EvalName): CoarseSplit | undefined {
  return evalName === "graphwalks" ? GRAPHWALKS_SPLIT : undefined;
}

export async function evaluate(options: EvaluateOptions): Promise<EvalRunResult | undefined> {
  return options.eval === "mrcr" ? evaluateWith(mrcrDefinition(), options) : evaluateWith(graphwalksDefinition(options.graphwalks ?? {}), options);
}

async function evaluateWith<Item extends { id: string }>(definition: Definition<Item>, options: EvaluateOptions): Promise<EvalRunResult | undefined> {
  const specs = options.data.map((data) => (isGeneratedSource(data) ? parseGeneratedSpec(definition.kind.name, data) : data));
  let items = evalItems(definition, specs, options.limit ?? Number.POSITIVE_INFINITY);
  const save = options.saveData === undefined ? undefined : await openOutput(options.saveData);
  try {
    if (save) items = teeRows(items, definition.kind, save);
    let result: EvalRunResult | undefined;
    if (options.answers) {
      // invariant: the CLI always gives --out with --answers; a library caller that forgets it is a bug
      if (options.outDir === undefined) throw new Error("evaluate: outDir is required with answers");
      const tokens = workerCounter();
      try {
        result = await runEval({
          kind: definition.kind,
          items,
          outDir: options.outDir,
          answers: options.answers,
          tokens,
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(definition.coarse ? { coarse: definition.coarse } : {}),
          ...(options.shard ? { shard: options.shard } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
      } finally {
        await tokens.close();
      }
    } else {
      for await (const _ of items);
    }
    await save?.commit();
    return result;
  } catch (error) {
    await save?.abort();
    throw error;
  }
}

export interface GoldCheckResult {
  summary: GoldCheckSummary;
  files: { checks: string; summary: string };
}

/**
 * `acc eval graphwalks --check-gold`: recomputes each row's gold from its prompt and compares it with the
 * stored answer_nodes. Writes gold-check.jsonl (one verdict per row, in data order) and gold-check.json
 * (counts and the flagged ids) into `outDir`; nothing is sent anywhere.
 */
export async function checkGraphwalksGold(options: { data: readonly string[]; limit?: number; outDir: string; onRow?: (rows: number) => void }): Promise<GoldCheckResult> {
  const definition = graphwalksDefinition({});
  const specs = options.data.map((data) => (isGeneratedSource(data) ? parseGeneratedSpec("graphwalks", data) : data));
  const files = { checks: join(options.outDir, "gold-check.jsonl"), summary: join(options.outDir, "gold-check.json") };
  const out = await AtomicFile.create(files.checks);
  const checks: GoldCheck[] = [];
  try {
    for await (const item of evalItems(definition, specs, options.limit ?? Number.POSITIVE_INFINITY)) {
      const check = checkGold(item);
      const { extra: _extra, missing: _missing, ...brief } = check;
      checks.push(brief);
      await out.write(`${JSON.stringify(check)}\n`);
      options.onRow?.(checks.length);
    }
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
  const summary = summarizeGoldChecks(checks);
  await writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, files };
}

async function* evalItems<Item extends { id: string }>(definition: Definition<Item>, sources: (string | GeneratedSpec)[], limit: number): AsyncGenerator<Item> {
  let count = 0;
  for (const source of sources) {
    const items = typeof source === "string" ? loadItems(definition.kind, [source], limit - count) : await definition.generate(source);
    for await (const item of items) {
      if (count >= limit) return;
      yield item;
      count++;
    }
  }
}

async function* teeRows<Item extends { id: string }>(items: AsyncIterable<Item>, kind: EvalKind<Item>, file: LineSink): AsyncGenerator<Item> {
  for await (const item of items) {
    await file.write(`${JSON.stringify(kind.toRow(item))}\n`);
    yield item;
  }
}
