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
import { exportShard } from "./shard.js";
import { ExportRejects, rejectLine } from "./rejects.js";
import type { Shard } from "../shard/partition.js";
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
  /** Build only this shard's samples (by id), for `acc merge` to write the target's files. */
  shard?: Shard;
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
  if (options.shard) {
    const settings: SampleShardSettings = { kind: "samples", reasoning: options.reasoning, ...(options.name !== undefined ? { name: options.name } : {}) };
    return exportShard({ ...options, shard: options.shard, settings: { ...settings } }, (value) => {
      const checked = checkSample(value);
      return checked.ok ? { ok: true, value: checked.sample } : checked;
    }, () => ({}));
  }
  const out = await SamplesOut.open(options.outDir, options.target, options.reasoning);
  const refused: Refused = { schemas: new Map() };
  let read = 0;
  try {
    for (const file of options.inputs) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        read++;
        const checked = "error" in line ? { ok: false as const, reason: line.detail } : checkSample(line.value);
        if (checked.ok) {
          await out.add(checked.sample);
          continue;
        }
        noteRefused(refused, file, line.line, "error" in line ? undefined : line.value, checked.reason);
        await out.reject(rejectLine(file, line.line, checked.reason));
      }
    }
    if (out.exported === 0) throw noSamples(options.inputs, read, refused);
  } catch (error) {
    await out.abort();
    throw error;
  }
  return { read, exported: out.exported, rejected: out.rejected, files: await out.finish(options.name ?? basename(options.outDir)) };
}

/** What `acc merge` needs to finish a samples export from its shards. */
interface SampleShardSettings {
  kind: "samples";
  reasoning: ReasoningMode;
  name?: string;
}

/**
 * `acc merge` of `acc export --shard` shards of samples: the merged samples (built.jsonl's lines) and
 * rejects, in input order, written as the unsharded export writes them.
 */
export async function finishSampleShards(outDir: string, target: ExportTarget, settings: Record<string, unknown>, samples: AsyncIterable<string>, rejects: AsyncIterable<string>): Promise<ExportStats> {
  const { reasoning, name } = settings as unknown as SampleShardSettings;
  const out = await SamplesOut.open(outDir, target, reasoning);
  try {
    for await (const text of samples) await out.add(JSON.parse(text) as Sample);
    for await (const text of rejects) await out.reject(text);
    if (out.exported === 0) throw new AccError(`no samples in the shards: all ${out.rejected} lines were refused, nothing was written`, { code: "no-records", fix: "export reads samples JSONL from acc compile or acc teach" });
  } catch (error) {
    await out.abort();
    throw error;
  }
  return { read: out.exported + out.rejected, exported: out.exported, rejected: out.rejected, files: await out.finish(name ?? basename(outDir)) };
}

/** The files of a samples export: the rows, rejects.jsonl when a line was refused, the card. */
class SamplesOut {
  exported = 0;
  private readonly rejects: ExportRejects;
  private readonly card: CardStats = { samples: 0, domains: {}, tokenizers: [] };

  private constructor(
    private readonly outDir: string,
    private readonly target: ExportTarget,
    private readonly reasoning: ReasoningMode,
    private readonly dataFile: string,
    private readonly parquet: SampleParquetWriter | undefined,
    private readonly jsonl: AtomicFile | undefined,
  ) {
    this.rejects = new ExportRejects(outDir);
  }

  get rejected(): number {
    return this.rejects.count;
  }

  static async open(outDir: string, target: ExportTarget, reasoning: ReasoningMode): Promise<SamplesOut> {
    const dataFile = target === "parquet" ? "train.parquet" : "train.jsonl";
    const dataPath = join(outDir, dataFile);
    const parquet = target === "parquet" ? new SampleParquetWriter(dataPath, reasoning) : undefined;
    return new SamplesOut(outDir, target, reasoning, dataFile, parquet, parquet ? undefined : await AtomicFile.create(dataPath));
  }

  async add(sample: Sample): Promise<void> {
    if (this.parquet) await this.parquet.add(sample);
    else await this.jsonl!.write(`${JSON.stringify(exportRow(sample, this.target as Exclude<ExportTarget, "parquet">, this.reasoning))}\n`);
    this.exported++;
    this.card.samples++;
    const domain = (this.card.domains[sample.meta.domain] ??= { samples: 0, prompt_tokens: [] });
    domain.samples++;
    domain.prompt_tokens.push(sample.meta.prompt_tokens);
    if (!this.card.tokenizers.includes(sample.meta.tokenizer)) this.card.tokenizers.push(sample.meta.tokenizer);
  }

  /** A refused line's record, as rejectLine writes it. */
  async reject(line: string): Promise<void> {
    await this.rejects.add(line);
  }

  async abort(): Promise<void> {
    await Promise.all([this.parquet?.abort(), this.jsonl?.abort(), this.rejects.abort()]);
  }

  /** Commits the rows and rejects, writes the card (and LLaMA-Factory's dataset_info.json); the files written. */
  async finish(name: string): Promise<string[]> {
    await Promise.all([this.parquet?.commit(), this.jsonl?.commit(), this.rejects.commit()]);
    const files = [this.dataFile, "README.md"];
    if (this.rejects.written) files.push("rejects.jsonl");
    await writeFile(join(this.outDir, "README.md"), datasetCard({ name, target: this.target, reasoning: this.reasoning, dataFile: this.dataFile, stats: this.card }));
    if (this.target === "llamafactory") {
      const info = { acc_samples: { file_name: this.dataFile, formatting: "sharegpt", columns: { messages: "conversations", system: "system" } } };
      await writeFile(join(this.outDir, "dataset_info.json"), `${JSON.stringify(info, null, 2)}\n`);
      files.push("dataset_info.json");
    }
    return files;
  }
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

function noSamples(inputs: readonly string[], read: number, refused: Refused): AccError {
  const where = inputs.length === 1 ? inputs[0]! : `${inputs.length} files`;
  if (read === 0) return new AccError(`no records in ${where}`, { code: "no-records", fix: "export reads samples JSONL from acc compile or acc teach" });
  const [schema, count] = [...refused.schemas].sort(([, a], [, b]) => b - a)[0]!;
  const kind = NOT_SAMPLES[schema];
  if (kind !== undefined && count === read) {
    return new AccError(`${where} holds ${kind.split(":")[0]}, not samples: export reads samples (from acc compile or acc teach); nothing was written`, {
      code: "not-samples",
      fix: kind.slice(kind.indexOf(":") + 2),
    });
  }
  return new AccError(`no samples in ${where}: all ${read} lines were refused, nothing was written (first: ${refused.first})`, {
    code: "no-records",
    fix: "export reads samples JSONL from acc compile or acc teach",
  });
}
