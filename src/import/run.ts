import { importerFor, importers } from "../formats/registry.js";
import type { ImportInput, Importer, Probe, Reject } from "../formats/types.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import type { RedactMode } from "../privacy/types.js";
import type { Domain, Trajectory } from "../records/trajectory.js";
import type { AuditCounts } from "./audit.js";
import { type ConvertOptions, convertItems } from "./convert.js";
import { misfitReason } from "./forced.js";
import { expandInputs, type InputUnit } from "./inputs.js";
import { openDirectory, openFile } from "./probe.js";
import { UsageError } from "../errors/acc-error.js";

export interface ImportOptions {
  /** Skip detection and read every input as this format. */
  format?: string;
  /** Override the inferred domain of every trajectory. */
  domain?: Domain;
  maxLineBytes?: number;
  maxDocumentBytes?: number;
  /**
   * Secrets and personal details: replaced by placeholders (`on`), only counted (`report`), or kept
   * (`off`, the library's default: it converts verbatim unless asked; `acc import` and `acc compile` pass `on`).
   */
  redact?: RedactMode;
  /** Audit every unit: how much of the source text the trajectories carry, and what was dropped where. */
  audit?: boolean;
}

export type ImportEvent =
  | { type: "file"; file: string; format: string | null; bytes: number }
  /** `loneSurrogates`: halves of UTF-16 pairs in the source that the trajectory holds as U+FFFD. */
  | { type: "trajectory"; trajectory: Trajectory; loneSurrogates?: number; line?: number }
  | { type: "reject"; reject: Reject }
  | { type: "skip"; file: string; reason: string }
  /** With `audit` on: how much of a unit's source text its trajectories carry (once per unit, after its records). */
  | { type: "audit"; file: string; format: string; counts: AuditCounts };

export const DEFAULT_MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

export class ImportUsageError extends UsageError {
  override name = "ImportUsageError";
}

export interface PreparedImport {
  units: InputUnit[];
  namedByUser: Set<string>;
  forced: Importer | undefined;
  limits: { maxLineBytes: number; maxDocumentBytes: number };
  convert: ConvertOptions;
}


/** Checks the options and expands the inputs into units; throws ImportUsageError on usage mistakes. */
export async function prepareImport(inputs: readonly string[], options: ImportOptions = {}): Promise<PreparedImport> {
  const forced = options.format === undefined ? undefined : importerFor(options.format);
  if (options.format !== undefined && forced === undefined) {
    throw new ImportUsageError(
      `unknown format "${options.format}"; known formats: ${importers.map((i) => i.format).join(", ")}`,
    );
  }
  const limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
  };
  const { units, missing } = await expandInputs(inputs, async (dir) => {
    const opened = await openDirectory(dir);
    return opened.ok && (forced ? forced.detect(opened.probe) : bestImporter(opened.probe).score) > 0;
  });
  if (missing.length > 0) throw new ImportUsageError(`${missing.join(", ")} ${missing.length === 1 ? "does" : "do"} not exist`);
  const convert: ConvertOptions = {
    ...(options.domain ? { domain: options.domain } : {}),
    redact: options.redact ?? "off",
    ...(options.audit ? { audit: true } : {}),
  };
  return { units, namedByUser: new Set(inputs), forced, limits, convert };
}

/** Imports every input into canonical trajectories; every record read comes out as a trajectory or a reject. */
export async function* importTrajectories(inputs: readonly string[], options: ImportOptions = {}): AsyncGenerator<ImportEvent> {
  const prepared = await prepareImport(inputs, options);
  for (const unit of prepared.units) yield* unitEvents(unit, prepared);
}

/** One input unit's events: how it was detected, then its records. */
export async function* unitEvents(unit: InputUnit, prepared: PreparedImport): AsyncGenerator<ImportEvent> {
  const opened = await openUnit(unit, prepared);
  yield* opened.events;
  if (opened.importer) yield* convertItems(opened.importer, opened.input, unit.path, prepared.convert);
}

/** A unit's detection events (openUnit's), then its records, if it has an importer: for readers that make the records themselves. */
export async function* detectionThenRecords(first: readonly ImportEvent[], records: AsyncIterable<ImportEvent> | undefined): AsyncGenerator<ImportEvent> {
  yield* first;
  if (records) yield* records;
}

export type OpenedUnit =
  | { events: ImportEvent[]; importer?: undefined }
  | { events: ImportEvent[]; importer: Importer; input: ImportInput };

/** Detects a unit's format: the events it starts with (file, skip, whole-file reject) and what to read next. */
export async function openUnit(unit: InputUnit, prepared: PreparedImport): Promise<OpenedUnit> {
  const file = unit.path;
  const opened = unit.kind === "file" ? await openFile(file, prepared.limits, !prepared.namedByUser.has(file)) : { ...(await openDirectory(file)), bytes: 0 };
  if ("skip" in opened) return { events: [{ type: "skip", file, reason: "not JSON or JSONL" }] };
  const bytes = opened.bytes;
  if (!opened.ok) {
    return {
      events: [
        { type: "file", file, format: null, bytes },
        { type: "reject", reject: { file, scope: "record", ...opened.reject } },
      ],
    };
  }
  const detected = prepared.forced ? undefined : bestImporter(opened.probe);
  const importer = prepared.forced ?? detected?.importer;
  const fileEvent: ImportEvent = { type: "file", file, format: importer?.format ?? null, bytes };
  if (importer === undefined) {
    const failed = detected?.failed[0];
    const reject: Reject = failed
      ? { file, format: failed.format, locator: {}, scope: "record", code: "internal-error", reason: `the ${failed.format} importer's format detection failed (${failed.message}): a bug in acc, please report it; name a format with --format to read the file meanwhile` }
      : { file, locator: {}, scope: "record", code: "unknown-format", reason: describeUnknown(opened.probe) };
    return { events: [fileEvent, { type: "reject", reject }] };
  }
  const misfit = prepared.forced ? await misfitReason(prepared.forced, opened.probe, file, bestImporter(opened.probe).importer) : undefined;
  if (misfit !== undefined) {
    return { events: [fileEvent, { type: "reject", reject: { file, format: importer.format, locator: {}, scope: "record", code: "wrong-shape", reason: misfit } }] };
  }
  return { events: [fileEvent], importer, input: opened.input };
}

/**
 * The importer that scores a probe highest, if any does. A detector that throws is a bug in acc: when no
 * other importer takes the file, the file's reject names it (`failed`) instead of calling the format unknown.
 */
function bestImporter(probe: Probe): { importer?: Importer; score: number; failed: { format: string; message: string }[] } {
  let best: { importer?: Importer; score: number } = { score: 0 };
  const failed: { format: string; message: string }[] = [];
  for (const importer of importers) {
    let score = 0;
    try {
      score = importer.detect(probe);
    } catch (error) {
      failed.push({ format: importer.format, message: error instanceof Error ? error.message : String(error) });
    }
    if (score > best.score) best = { importer, score };
  }
  return { ...best, failed };
}

function describeUnknown(probe: Probe): string {
  const hint = "; name one with --format (see `acc formats`)";
  if (probe.container === "directory") return `no importer recognises this directory${hint}`;
  if (probe.container === "json") {
    const doc = probe.document;
    const shape = Array.isArray(doc)
      ? `a JSON array of ${doc.length}`
      : doc !== null && typeof doc === "object"
        ? `a JSON object with keys ${Object.keys(doc).slice(0, 8).join(", ")}`
        : `a JSON ${typeof doc}`;
    return `unknown format: ${shape}${hint}`;
  }
  const first = probe.head.find((entry) => "value" in entry) as { value: unknown } | undefined;
  const keys = first?.value && typeof first.value === "object" ? Object.keys(first.value).slice(0, 8).join(", ") : "";
  return `unknown format: JSONL whose first record has keys ${keys}${hint}`;
}
