import { join } from "node:path";
import { AtomicFile, writeFileAtomic } from "../io/atomic.js";
import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { readLines } from "../io/lines.js";
import { ORDER_FILE, orderLine, writeManifest } from "../shard/manifest.js";
import { inShard, type Shard } from "../shard/partition.js";
import { Sample } from "../records/sample.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { type EvalSource, evalSource, evalTexts } from "./eval-sources.js";
import { type NgramSet, NgramSetBuilder } from "./ngram-set.js";
import { forEachNgram } from "./ngrams.js";
import { AccError } from "../errors/acc-error.js";

export const DEFAULT_NGRAM = 13;
export const DECONTAMINATE_MODES = ["drop", "flag"] as const;
export type DecontaminateMode = (typeof DECONTAMINATE_MODES)[number];

/** A bad samples file: the message names the file and line. */
export class DecontaminateError extends AccError {
  override name = "DecontaminateError";
}

export interface DecontaminateOptions {
  /** Samples (JSONL of acc.sample records, gzip accepted). */
  samples: string;
  /** Eval files (MRCR, GraphWalks, or any JSONL / Parquet with a text column), each an eval set. */
  against: readonly string[];
  /** Folder for samples.jsonl, contamination.jsonl and report.json. */
  outDir: string;
  /** Words per n-gram. */
  ngram: number;
  /** `drop` leaves overlapping samples out; `flag` keeps them and lists them. */
  mode: DecontaminateMode;
  /** The text column of eval files that are neither MRCR nor GraphWalks (default `text`); when given, every file is read by it. */
  column?: string;
  /** Check only this shard's samples (by sample id), and write what `acc merge` needs. */
  shard?: Shard;
  onIndexed?: (set: EvalSetReport) => void;
  /** After each sample line: the lines read so far (other shards' included). */
  onProgress?: (linesRead: number) => void;
}

export interface EvalSetReport {
  file: string;
  kind: EvalSource["kind"];
  column?: string;
  items: number;
  /** Distinct n-grams indexed. */
  ngrams: number;
  index_bytes: number;
  /** Samples with at least one n-gram of this set. */
  samples_hit: number;
  /** N-gram occurrences in the samples that are in this set. */
  ngrams_matched: number;
}

export interface DecontaminateReport {
  samples: string;
  ngram: number;
  mode: DecontaminateMode;
  /** read = kept + dropped + flagged. */
  read: number;
  kept: number;
  dropped: number;
  flagged: number;
  eval_sets: EvalSetReport[];
}

/** One line of contamination.jsonl. */
export interface ContaminationRecord {
  sample_id: string;
  line: number;
  action: "dropped" | "flagged";
  overlaps: { eval_set: string; ngrams: number }[];
}

interface IndexedSet {
  report: EvalSetReport;
  set: NgramSet;
}

/**
 * Checks every sample against every eval set by overlapping word n-grams (normalised: lower case,
 * letters and digits only). A sample with at least one n-gram of an eval set overlaps it: `drop`
 * leaves it out of samples.jsonl, `flag` keeps it; either way contamination.jsonl lists it with the
 * n-grams matched per set. Sample lines are copied unchanged. Outputs are written atomically.
 */
export async function decontaminate(options: DecontaminateOptions): Promise<DecontaminateReport> {
  const sets: IndexedSet[] = [];
  for (const file of options.against) {
    const indexed = await indexEvalSet(await evalSource(file, options.column), options.ngram);
    options.onIndexed?.(indexed.report);
    sets.push(indexed);
  }
  const report: DecontaminateReport = {
    samples: options.samples,
    ngram: options.ngram,
    mode: options.mode,
    read: 0,
    kept: 0,
    dropped: 0,
    flagged: 0,
    eval_sets: sets.map((s) => s.report),
  };
  const kept = await AtomicFile.create(join(options.outDir, "samples.jsonl"));
  const contamination = await AtomicFile.create(join(options.outDir, "contamination.jsonl"));
  const order = options.shard ? await AtomicFile.create(join(options.outDir, ORDER_FILE)) : undefined;
  let linesRead = 0;
  try {
    for await (const entry of readLines(options.samples)) {
      const where = `${options.samples}: line ${entry.line}`;
      if ("error" in entry) throw new DecontaminateError(`${where}: ${entry.detail}`);
      const sample = parseSample(entry.text, where);
      linesRead++;
      if (!inShard(sample.id, options.shard)) {
        options.onProgress?.(linesRead);
        continue;
      }
      report.read++;
      const matched = sets.map(() => 0);
      for (const text of sampleTexts(sample)) {
        forEachNgram(text, options.ngram, (hi, lo) => {
          for (let s = 0; s < sets.length; s++) if (sets[s]!.set.has(hi, lo)) matched[s]!++;
        });
      }
      const overlaps = sets.flatMap((s, i) => (matched[i]! > 0 ? [{ eval_set: s.report.file, ngrams: matched[i]! }] : []));
      sets.forEach((s, i) => {
        if (matched[i]! > 0) s.report.samples_hit++;
        s.report.ngrams_matched += matched[i]!;
      });
      if (overlaps.length === 0) {
        report.kept++;
        await kept.write(`${entry.text}\n`);
        await order?.write(orderLine(entry.line, [1, 0]));
      } else {
        const action = options.mode === "drop" ? "dropped" : "flagged";
        report[action]++;
        if (action === "flagged") await kept.write(`${entry.text}\n`);
        const record: ContaminationRecord = { sample_id: sample.id, line: entry.line, action, overlaps };
        await contamination.write(`${JSON.stringify(record)}\n`);
        await order?.write(orderLine(entry.line, [action === "flagged" ? 1 : 0, 1]));
      }
      options.onProgress?.(linesRead);
    }
  } catch (error) {
    await Promise.all([kept.abort(), contamination.abort(), order?.abort()]);
    throw error;
  }
  if (linesRead === 0) {
    // Nothing was checked: no empty outputs are left behind.
    await Promise.all([kept.abort(), contamination.abort(), order?.abort()]);
    throw new AccError(`no samples in ${options.samples}`, { code: "no-records", fix: "decontaminate reads samples JSONL from acc compile or acc teach" });
  }
  await kept.commit();
  await contamination.commit();
  await order?.commit();
  const reportPath = join(options.outDir, "report.json");
  await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (options.shard) {
    await writeManifest(options.outDir, { stage: "decontaminate", shard: options.shard, run: await runFingerprint(options), files: ["samples.jsonl", "contamination.jsonl"] });
  }
  return report;
}

/** The run's inputs (path, size, time) and settings, without the shard: what the shards of one run share. */
async function runFingerprint(options: DecontaminateOptions): Promise<string> {
  return keyHash({
    version: 1,
    samples: await fileIdentity(options.samples),
    against: await Promise.all(options.against.map(fileIdentity)),
    ngram: options.ngram,
    mode: options.mode,
    column: options.column ?? null,
  });
}

/**
 * The report of a whole run from its shards' reports: counts added, each eval set's hits added (its
 * items and n-grams are the same in every shard), in the key order the unsharded run writes.
 */
export function mergeDecontaminateReports(reports: readonly DecontaminateReport[]): DecontaminateReport {
  const merged = structuredClone(reports[0]!);
  for (const report of reports.slice(1)) {
    merged.read += report.read;
    merged.kept += report.kept;
    merged.dropped += report.dropped;
    merged.flagged += report.flagged;
    report.eval_sets.forEach((set, i) => {
      merged.eval_sets[i]!.samples_hit += set.samples_hit;
      merged.eval_sets[i]!.ngrams_matched += set.ngrams_matched;
    });
  }
  return merged;
}

/** Every n-gram of every item of an eval file, in one compact set. */
export async function indexEvalSet(source: EvalSource, ngram: number): Promise<IndexedSet> {
  const builder = new NgramSetBuilder();
  const add = (hi: number, lo: number) => builder.add(hi, lo);
  let items = 0;
  for await (const texts of evalTexts(source)) {
    items++;
    for (const text of texts) forEachNgram(text, ngram, add);
  }
  const set = builder.build();
  return {
    set,
    report: {
      file: source.file,
      kind: source.kind,
      ...(source.kind === "column" ? { column: source.column } : {}),
      items,
      ngrams: set.size,
      index_bytes: set.bytes,
      samples_hit: 0,
      ngrams_matched: 0,
    },
  };
}

function parseSample(text: string, where: string): Sample {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecontaminateError(`${where}: invalid JSON: ${(error as Error).message}`);
  }
  const result = validateFast(Sample, value);
  if (!result.ok) throw new DecontaminateError(`${where}: not an acc sample: ${formatProblems(result.problems)}`);
  return result.value;
}

/** What a trainer sees of a sample: every message's text and the assistant's reasoning. */
function sampleTexts(sample: Sample): string[] {
  return sample.messages.flatMap((m) => (m.role === "assistant" && m.reasoning !== null ? [m.content, m.reasoning] : [m.content]));
}
