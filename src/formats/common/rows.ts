import { AccError } from "../../errors/acc-error.js";
import type { ErrorCode } from "../../errors/codes.js";
import type { Locator } from "../../records/trajectory.js";
import { describeSystemError } from "../../errors/system-error.js";
import type { DropRule, ImportInput, ImportItem, Importer, Probe, RejectCode, TrajectoryDraft } from "../types.js";
import { isRecord } from "./text.js";

/** Thrown by converters when a record does not have the shape its format promises. */
export class ShapeError extends AccError {
  override name = "ShapeError";
  protected override defaultCode(): ErrorCode {
    return "wrong-shape";
  }
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ShapeError(message);
}

export interface RowsImporterSpec {
  format: string;
  description: string;
  /** Source text the importer leaves out on purpose (see `Importer.dropRules`). */
  dropRules?: readonly DropRule[];
  /** How sure that this single row (a JSONL line, an array element or a lone object) is of the format. */
  detectRow(row: Record<string, unknown>): number;
  /**
   * One row → one or more trajectories; throw ShapeError to reject the row with its reason. Any other
   * exception is a bug in the converter: the row is rejected as `internal-error`, not passed off as bad input.
   */
  convertRow(row: Record<string, unknown>, locator: Locator): TrajectoryDraft | TrajectoryDraft[];
}

/**
 * An importer for formats where each row is independent: JSONL lines, elements of a top-level
 * JSON array, or a single JSON object. Every row ends as trajectories or as one reject.
 */
export function rowsImporter(spec: RowsImporterSpec): Importer {
  return {
    format: spec.format,
    description: spec.description,
    ...(spec.dropRules ? { dropRules: spec.dropRules } : {}),
    rowBased: true,
    detect(probe: Probe): number {
      const row = firstRow(probe);
      return row === undefined ? 0 : spec.detectRow(row);
    },
    read: (input: ImportInput) => readRows(input, (row, locator) => convert(spec, row, locator)),
  };
}

/**
 * The rows of an input, each given to `each` with its locator: the values of JSONL lines (`{line}`; a line
 * that is not JSON is rejected here), the elements of a top-level JSON array (`{index, json_pointer}`) or a
 * lone JSON document (`{json_pointer: ""}`). rowsImporter reads through it, and so do the row formats whose
 * row is not one record (tau2-bench: a row of many simulations) or not an object (OpenAI Responses item lists).
 */
export async function* readRows(input: ImportInput, each: (row: unknown, locator: Locator) => Iterable<ImportItem>): AsyncGenerator<ImportItem> {
  if (input.container === "directory") return;
  if (input.container === "jsonl") {
    for await (const entry of input.lines) {
      const locator = { line: entry.line };
      if ("error" in entry) yield { kind: "reject", locator, scope: "record", code: entry.error, reason: entry.detail };
      else yield* each(entry.value, locator);
    }
    return;
  }
  const { document } = input;
  if (Array.isArray(document)) {
    for (let index = 0; index < document.length; index++) yield* each(document[index], { index, json_pointer: `/${index}` });
  } else {
    yield* each(document, { json_pointer: "" });
  }
}

function* convert(spec: RowsImporterSpec, row: unknown, locator: Locator): Generator<ImportItem> {
  if (!isRecord(row)) {
    yield { kind: "reject", locator, scope: "record", code: "wrong-shape", reason: `expected a JSON object, got ${kindOf(row)}` };
    return;
  }
  let drafts: TrajectoryDraft | TrajectoryDraft[];
  try {
    drafts = spec.convertRow(row, locator);
  } catch (error) {
    yield { kind: "reject", locator, scope: "record", ...rejectionOf(error, spec.format) };
    return;
  }
  for (const draft of Array.isArray(drafts) ? drafts : [drafts]) yield { kind: "trajectory", draft };
}

/**
 * Why a record was rejected when its importer threw. An AccError (a ShapeError above all) describes the
 * input; a failed read (a system error) is `unreadable`; anything else (a TypeError, a RangeError) is a bug
 * in acc, said so with the error's class as `internal-error`, so that it is not passed off as bad input.
 */
export function rejectionOf(error: unknown, format: string): { code: RejectCode; reason: string } {
  if (AccError.isInstance(error)) return { code: "wrong-shape", reason: error.message };
  const system = describeSystemError(error);
  if (system !== undefined) return { code: "unreadable", reason: system.message };
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal-error", reason: `the ${format} importer failed (a bug in acc, please report it): ${name}: ${message}` };
}

function firstRow(probe: Probe): Record<string, unknown> | undefined {
  if (probe.container === "directory") return undefined;
  if (probe.container === "jsonl") {
    for (const entry of probe.head) if ("value" in entry) return isRecord(entry.value) ? entry.value : undefined;
    return undefined;
  }
  const doc = Array.isArray(probe.document) ? probe.document[0] : probe.document;
  return isRecord(doc) ? doc : undefined;
}

export function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
