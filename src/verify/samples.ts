import { type JsonLine, readJsonLines } from "../io/json-lines.js";
import { openOutput, type Output } from "../io/atomic.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { Sample } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import { orderedMap } from "../run/worker-pool.js";
import { type Candidate, referenceName, type Verifiers } from "./index.js";
import { UsageError } from "../errors/acc-error.js";

export interface VerifySamplesOptions {
  /** Samples JSONL (from compile or teach). */
  input: string;
  /** JSONL of candidates `{"id" | "sample_id", "answer", "sql"?, "patch"?}`; without it each sample's own target answer is checked. */
  answers?: string;
  /** Verdicts JSONL: a file (written atomically) or a sink such as stdout. */
  output: Output;
  verifiers: Verifiers;
  /** Samples verified at once. */
  concurrency: number;
  onProgress?: (counts: VerifyCounts) => void;
}

export interface DomainVerifyCounts {
  samples: number;
  passed: number;
  reasons: Record<string, number>;
}

export interface VerifyCounts {
  read: number;
  invalid: number;
  passed: number;
  failed: number;
  /** Candidates in the answers file that match no sample. */
  unmatched_answers: number;
  domains: Partial<Record<Domain, DomainVerifyCounts>>;
}

/** One line of the verdicts file. */
export interface SampleVerdict {
  sample_id: string | null;
  line: number;
  domain: Domain | null;
  reference: string | null;
  pass: boolean;
  reason: string;
  detail: string;
  score?: number;
}

export class AnswersFileError extends UsageError {
  override name = "AnswersFileError";
}

/** Verdicts held per sample being verified: finished, waiting for those before them to be written. */
const HELD_VERDICTS = 32;

/**
 * Verifies each sample of a JSONL file, in order: its candidate from the answers file (or its own
 * target answer) against its reference. Every input line gets one verdict line; invalid lines,
 * unverifiable samples and samples without a candidate fail with their reason.
 */
export async function verifySamples(options: VerifySamplesOptions): Promise<VerifyCounts> {
  const answers = options.answers ? await readAnswers(options.answers) : undefined;
  const used = new Set<string>();
  const counts: VerifyCounts = { read: 0, invalid: 0, passed: 0, failed: 0, unmatched_answers: 0, domains: {} };
  const out = await openOutput(options.output);

  const judge = async (entry: JsonLine): Promise<SampleVerdict> => {
    if ("error" in entry) return invalid(entry.line, entry.detail);
    const checked = validateFast(Sample, entry.value);
    if (!checked.ok) return invalid(entry.line, `not a valid sample: ${formatProblems(checked.problems)}`);
    const sample = checked.value;
    const base = { sample_id: sample.id, line: entry.line, domain: sample.meta.domain };
    const reference = options.verifiers.referenceOf(sample);
    if ("unverifiable" in reference) return { ...base, reference: null, pass: false, reason: "unverifiable", detail: reference.unverifiable };
    const given = answers ? answers.get(sample.id) : { answer: sample.target.answer };
    if (answers && given) used.add(sample.id);
    const candidate = given && withDomainFields(given, sample.meta.domain);
    if (!candidate) return { ...base, reference: referenceName(reference), pass: false, reason: "no-candidate", detail: `no answer for ${sample.id} in ${options.answers}` };
    const verdict = await options.verifiers.verify(sample, reference, candidate);
    return { ...base, reference: referenceName(reference), ...verdict };
  };

  try {
    // a slow verdict at the head (a judge thinking, a test suite running) must not stop the ones behind it:
    // verdicts are small, so up to HELD_VERDICTS times as many as run wait for their turn
    const window = { running: options.concurrency, held: HELD_VERDICTS * options.concurrency };
    for await (const verdict of orderedMap(readJsonLines(options.input, DEFAULT_MAX_LINE_BYTES), judge, window)) {
      await out.write(`${JSON.stringify(verdict)}\n`);
      count(counts, verdict);
      options.onProgress?.(counts);
    }
  } catch (error) {
    await out.abort();
    throw error;
  }
  // An input without a line verified nothing: no empty verdicts file is left behind.
  if (counts.read === 0) await out.abort();
  else await out.commit();
  if (answers) counts.unmatched_answers = [...answers.keys()].filter((id) => !used.has(id)).length;
  return counts;
}

function invalid(line: number, detail: string): SampleVerdict {
  return { sample_id: null, line, domain: null, reference: null, pass: false, reason: "invalid-sample", detail };
}

function count(counts: VerifyCounts, verdict: SampleVerdict): void {
  counts.read++;
  if (verdict.pass) counts.passed++;
  else counts.failed++;
  if (verdict.domain === null) {
    counts.invalid++;
    return;
  }
  const d = (counts.domains[verdict.domain] ??= { samples: 0, passed: 0, reasons: {} });
  d.samples++;
  if (verdict.pass) d.passed++;
  d.reasons[verdict.reason] = (d.reasons[verdict.reason] ?? 0) + 1;
}

/** SWE answers are patches; SQL answers that are a query run as one. */
function withDomainFields(candidate: Candidate, domain: Domain): Candidate {
  if (domain === "swe" && candidate.patch === undefined) return { ...candidate, patch: candidate.answer };
  if (domain === "sql" && candidate.sql === undefined && /^\s*(select|with)\b/i.test(candidate.answer)) return { ...candidate, sql: candidate.answer.trim() };
  return candidate;
}

/** The answers file: one candidate per sample id; a bad line is an error naming the file and line. */
async function readAnswers(path: string): Promise<Map<string, Candidate>> {
  const answers = new Map<string, Candidate>();
  for await (const entry of readJsonLines(path, DEFAULT_MAX_LINE_BYTES)) {
    const where = `${path}:${entry.line}`;
    if ("error" in entry) throw new AnswersFileError(`${where}: ${entry.detail}`);
    const row = entry.value as Record<string, unknown> | null;
    const id = row?.["sample_id"] ?? row?.["id"];
    if (typeof id !== "string") throw new AnswersFileError(`${where}: expected an object with a string "id" or "sample_id"`);
    if (typeof row!["answer"] !== "string") throw new AnswersFileError(`${where}: expected a string "answer"`);
    if (answers.has(id)) throw new AnswersFileError(`${where}: a second answer for ${id}`);
    const candidate: Candidate = { answer: row!["answer"] as string };
    for (const field of ["sql", "patch"] as const) {
      if (row![field] === undefined) continue;
      if (typeof row![field] !== "string") throw new AnswersFileError(`${where}: "${field}" must be a string`);
      candidate[field] = row![field] as string;
    }
    answers.set(id, candidate);
  }
  return answers;
}
