import { AccError } from "../../errors/acc-error.js";
import type { ErrorCode } from "../../errors/codes.js";
import type { Locator } from "../../records/trajectory.js";
import type { DropRule, ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";
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
  /** One row → one or more trajectories; throw ShapeError (or anything) to reject the row with its reason. */
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
    async *read(input: ImportInput): AsyncIterable<ImportItem> {
      if (input.container === "directory") return;
      if (input.container === "jsonl") {
        for await (const entry of input.lines) {
          const locator = { line: entry.line };
          if ("error" in entry) yield { kind: "reject", locator, scope: "record", code: entry.error, reason: entry.detail };
          else yield* convert(spec, entry.value, locator);
        }
        return;
      }
      const { document } = input;
      if (Array.isArray(document)) {
        for (let index = 0; index < document.length; index++) {
          yield* convert(spec, document[index], { index, json_pointer: `/${index}` });
        }
      } else {
        yield* convert(spec, document, { json_pointer: "" });
      }
    },
  };
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
    yield { kind: "reject", locator, scope: "record", code: "wrong-shape", reason: (error as Error).message };
    return;
  }
  for (const draft of Array.isArray(drafts) ? drafts : [drafts]) yield { kind: "trajectory", draft };
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
