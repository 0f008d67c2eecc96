import { writeFile } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { basename, join } from "node:path";
import { AtomicFile } from "../io/atomic.js";
import { readJsonLines } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { Sample } from "../records/sample.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { type CardStats, datasetCard } from "./card.js";
import { SampleParquetWriter } from "./parquet.js";
import { AccError } from "../errors/acc-error.js";
import { checkReasoning, type ExportTarget, exportRow, type ReasoningMode } from "./rows.js";

export interface ExportOptions {
  /** Samples JSONL files from `acc compile` (or `acc teach`). */
  inputs: readonly string[];
  outDir: string;
  target: ExportTarget;
  reasoning: ReasoningMode;
  /** Dataset name for the card. */
  name?: string;
}

export interface ExportStats {
  read: number;
  exported: number;
  rejected: number;
  files: string[];
}

/**
 * Writes samples in a trainer's format plus a dataset card; bad lines go to rejects.jsonl with file and
 * line. When no line is a sample, nothing is written and the error says what the input holds instead.
 */
export async function exportSamples(options: ExportOptions): Promise<ExportStats> {
  checkReasoning(options.target, options.reasoning);
  await makeDirectory(options.outDir);
  const dataFile = options.target === "parquet" ? "train.parquet" : "train.jsonl";
  const dataPath = join(options.outDir, dataFile);
  const parquet = options.target === "parquet" ? new SampleParquetWriter(dataPath, options.reasoning) : undefined;
  const jsonl = parquet ? undefined : await AtomicFile.create(dataPath);
  let rejects: AtomicFile | undefined;
  const stats: ExportStats = { read: 0, exported: 0, rejected: 0, files: [dataFile, "README.md"] };
  const card: CardStats = { samples: 0, domains: {}, tokenizers: [] };
  const refused: Refused = { schemas: new Map() };

  try {
    for (const file of options.inputs) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        stats.read++;
        const checked = "error" in line ? { ok: false as const, reason: line.detail } : checkSample(line.value);
        if (!checked.ok) {
          stats.rejected++;
          noteRefused(refused, file, line.line, "error" in line ? undefined : line.value, checked.reason);
          rejects ??= await AtomicFile.create(join(options.outDir, "rejects.jsonl"));
          await rejects.write(`${JSON.stringify({ file, locator: { line: line.line }, reason: checked.reason })}\n`);
          continue;
        }
        const sample = checked.sample;
        if (parquet) await parquet.add(sample);
        else await jsonl!.write(`${JSON.stringify(exportRow(sample, options.target as Exclude<ExportTarget, "parquet">, options.reasoning))}\n`);
        stats.exported++;
        card.samples++;
        const domain = (card.domains[sample.meta.domain] ??= { samples: 0, prompt_tokens: [] });
        domain.samples++;
        domain.prompt_tokens.push(sample.meta.prompt_tokens);
        if (!card.tokenizers.includes(sample.meta.tokenizer)) card.tokenizers.push(sample.meta.tokenizer);
      }
    }
    if (stats.exported === 0) throw noSamples(options.inputs, stats, refused);
  } catch (error) {
    await Promise.all([parquet?.abort(), jsonl?.abort(), rejects?.abort()]);
    throw error;
  }
  await Promise.all([parquet?.commit(), jsonl?.commit(), rejects?.commit()]);
  if (rejects) stats.files.push("rejects.jsonl");
  const name = options.name ?? basename(options.outDir);
  await writeFile(join(options.outDir, "README.md"), datasetCard({ name, target: options.target, reasoning: options.reasoning, dataFile, stats: card }));
  if (options.target === "llamafactory") {
    const info = { acc_samples: { file_name: dataFile, formatting: "sharegpt", columns: { messages: "conversations", system: "system" } } };
    await writeFile(join(options.outDir, "dataset_info.json"), `${JSON.stringify(info, null, 2)}\n`);
    stats.files.push("dataset_info.json");
  }
  return stats;
}

function checkSample(value: unknown): { ok: true; sample: Sample } | { ok: false; reason: string } {
  const result = validateFast(Sample, value);
  return result.ok ? { ok: true, sample: result.value } : { ok: false, reason: `not a valid sample: ${formatProblems(result.problems)}` };
}

/** What the refused lines were: the record kinds (`schema`) found, and the first refusal. */
interface Refused {
  schemas: Map<string, number>;
  first?: string;
}

function noteRefused(refused: Refused, file: string, line: number, value: unknown, reason: string): void {
  refused.first ??= `${file}:${line}: ${reason}`;
  const schema = typeof value === "object" && value !== null && typeof (value as { schema?: unknown }).schema === "string" ? (value as { schema: string }).schema : "other";
  refused.schemas.set(schema, (refused.schemas.get(schema) ?? 0) + 1);
}

/** Records of other stages that people hand to export, and what makes samples of them. */
const NOT_SAMPLES: Record<string, string> = {
  "acc.trajectory": "trajectories (from acc import or acc rollout): compile them into samples first, e.g. `acc compile <trajectories> -o out/compile`, then export out/compile/samples.jsonl",
};

function noSamples(inputs: readonly string[], stats: ExportStats, refused: Refused): AccError {
  const where = inputs.length === 1 ? inputs[0]! : `${inputs.length} files`;
  if (stats.read === 0) return new AccError(`no records in ${where}`, { code: "no-records", fix: "export reads samples JSONL from acc compile or acc teach" });
  const [schema, count] = [...refused.schemas].sort(([, a], [, b]) => b - a)[0]!;
  const kind = NOT_SAMPLES[schema];
  if (kind !== undefined && count === stats.read) {
    return new AccError(`${where} holds ${kind.split(":")[0]}, not samples: export reads samples (from acc compile or acc teach); nothing was written`, {
      code: "not-samples",
      fix: kind.slice(kind.indexOf(":") + 2),
    });
  }
  return new AccError(`no samples in ${where}: all ${stats.read} lines were refused, nothing was written (first: ${refused.first})`, {
    code: "no-records",
    fix: "export reads samples JSONL from acc compile or acc teach",
  });
}
