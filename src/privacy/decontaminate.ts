import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { type RawLine, readLines } from "../io/lines.js";
import { Stage } from "../run/stage.js";
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
 * n-grams matched per set. Sample lines are copied unchanged. It runs on the stage runner: killed, a
 * rerun of the same command resumes after the last checkpoint.
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
  const stage = await Stage.open({
    name: "decontaminate",
    outDir: options.outDir,
    files: ["samples.jsonl", "contamination.jsonl"],
    run: await runFingerprint(options),
    ...(options.shard ? { shard: options.shard } : {}),
    // report.json is the summary
    statsFile: false,
    stats: (saved) => ({ data: saved ? resumedReport(report, saved as DecontaminateReport) : report }),
  });
  let linesRead = stage.done;
  await stage.run({
    inputs: sampleLines(options.samples, stage.done),
    process: (entry) => check(entry, sets, options),
    write: (checked, out) => {
      linesRead++;
      if (checked === undefined) {
        out.pass();
        options.onProgress?.(linesRead);
        return;
      }
      const { line, text, sample, matched } = checked;
      report.read++;
      const overlaps = sets.flatMap((s, i) => (matched[i]! > 0 ? [{ eval_set: s.report.file, ngrams: matched[i]! }] : []));
      sets.forEach((s, i) => {
        if (matched[i]! > 0) s.report.samples_hit++;
        s.report.ngrams_matched += matched[i]!;
      });
      if (overlaps.length === 0) {
        report.kept++;
        out.line(KEPT, text);
      } else {
        const action = options.mode === "drop" ? "dropped" : "flagged";
        report[action]++;
        if (action === "flagged") out.line(KEPT, text);
        const record: ContaminationRecord = { sample_id: sample.id, line, action, overlaps };
        out.line(CONTAMINATION, JSON.stringify(record));
      }
      out.record(line);
      options.onProgress?.(linesRead);
    },
    window: 2,
    checkpoint: { items: 64, ms: 1000 },
    finish: () => writeFileAtomic(join(options.outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`),
  });
  return report;
}

/** The outputs, by their index in the stage's files. */
const KEPT = 0;
const CONTAMINATION = 1;

/** The sample lines after the first `skip`; a file without a line is refused (nothing was checked). */
async function* sampleLines(file: string, skip: number): AsyncGenerator<RawLine> {
  let lines = 0;
  for await (const entry of readLines(file)) if (lines++ >= skip) yield entry;
  if (lines === 0) throw new AccError(`no samples in ${file}`, { code: "no-records", fix: "decontaminate reads samples JSONL from acc compile or acc teach" });
}

/** A sample line checked against every set: the n-grams it shares with each, or undefined when it is another shard's. */
function check(entry: RawLine, sets: readonly IndexedSet[], options: DecontaminateOptions): { line: number; text: string; sample: Sample; matched: number[] } | undefined {
  const where = `${options.samples}: line ${entry.line}`;
  if ("error" in entry) throw new DecontaminateError(`${where}: ${entry.detail}`);
  const sample = parseSample(entry.text, where);
  if (!inShard(sample.id, options.shard)) return undefined;
  const matched = sets.map(() => 0);
  for (const text of sampleTexts(sample)) {
    forEachNgram(text, options.ngram, (hi, lo) => {
      for (let s = 0; s < sets.length; s++) if (sets[s]!.set.has(hi, lo)) matched[s]!++;
    });
  }
  return { line: entry.line, text: entry.text, sample, matched };
}

/** This run's report with the counts a checkpoint saved (the rest, such as the samples path as given, is this run's). */
function resumedReport(report: DecontaminateReport, saved: DecontaminateReport): DecontaminateReport {
  report.read = saved.read;
  report.kept = saved.kept;
  report.dropped = saved.dropped;
  report.flagged = saved.flagged;
  report.eval_sets.forEach((set, i) => {
    set.samples_hit = saved.eval_sets[i]!.samples_hit;
    set.ngrams_matched = saved.eval_sets[i]!.ngrams_matched;
  });
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
