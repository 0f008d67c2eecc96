import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { stripAnsi } from "../formats/common/text.js";
import type { ImportInput, Importer, JsonLine } from "../formats/types.js";
import { Redactor } from "../privacy/redactor.js";
import { redactText } from "../privacy/scan.js";
import type { RedactMode } from "../privacy/types.js";
import type { Locator, Trajectory } from "../records/trajectory.js";
import { type AuditCounts, auditRecord, emptyCounts, type Found, Haystack, type Normalise } from "./audit.js";

/** Source files of a directory unit bigger than this are left out of its audit. */
const MAX_AUDITED_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Source text as the finished trajectories spell it: well-formed UTF-16, no escape codes, redacted when
 * redaction is on (a value under a key that names a secret is judged whole, as the trajectory's redaction does).
 */
export function normaliserFor(redact: RedactMode): Normalise {
  if (redact !== "on") return (text) => stripAnsi(text.toWellFormed());
  const redactor = new Redactor("on");
  return (text, key) => (key === undefined ? redactText(stripAnsi(text.toWellFormed())) : redactor.text(stripAnsi(text.toWellFormed()), false, key));
}

interface PendingRow {
  value: unknown;
  outputs: Trajectory[];
}

/**
 * The audit of one input unit (a file or a directory): it sees the source records as the importer reads
 * them and the trajectories made from them, and matches the two by locator.
 * Row formats in JSONL are audited row by row as the import goes (memory stays one row);
 * other inputs once the importer is done with them.
 */
export class UnitAudit {
  readonly counts: AuditCounts = emptyCounts();
  private readonly rows = new Map<number, PendingRow>();
  private readonly wholeLines: unknown[] = [];
  private readonly outputs: Trajectory[] = [];

  constructor(
    private readonly importer: Importer,
    private readonly normalise: Normalise,
  ) {}

  /** The input the importer should read: JSONL lines pass through here on their way to it. */
  watch(input: ImportInput): ImportInput {
    if (input.container !== "jsonl") return input;
    const rowBased = this.importer.rowBased === true;
    const rows = this.rows;
    const whole = this.wholeLines;
    async function* tee(lines: AsyncIterable<JsonLine>): AsyncGenerator<JsonLine> {
      for await (const entry of lines) {
        if ("value" in entry) {
          if (rowBased) rows.set(entry.line, { value: entry.value, outputs: [] });
          else whole.push(entry.value);
        }
        yield entry;
      }
    }
    return { ...input, lines: tee(input.lines) };
  }

  /** A trajectory the importer made; rows before its line are complete and audited now. */
  trajectory(trajectory: Trajectory): void {
    const line = trajectory.source.locator.line;
    if (this.importer.rowBased && line !== undefined && this.rows.has(line)) {
      this.flushRowsBefore(line);
      this.rows.get(line)!.outputs.push(trajectory);
    } else {
      this.outputs.push(trajectory);
    }
  }

  /** A record the importer rejected: the rows up to it are complete. */
  rejected(locator: Locator): void {
    if (this.importer.rowBased && locator.line !== undefined) this.flushRowsBefore(locator.line + 1);
  }

  /** Audits what is left once the importer has read the whole input. */
  async finish(input: ImportInput): Promise<AuditCounts> {
    this.flushRowsBefore(Number.POSITIVE_INFINITY);
    if (this.outputs.length === 0) return this.counts;
    if (input.container === "jsonl") this.auditAgainst(this.wholeLines, this.outputs);
    else if (input.container === "json") this.auditDocument(input.document);
    else this.auditAgainst([await readDirectorySources(input.path)], this.outputs);
    return this.counts;
  }

  private auditDocument(document: unknown): void {
    if (!(this.importer.rowBased && Array.isArray(document))) return this.auditAgainst([document], this.outputs);
    const byIndex = new Map<number, Trajectory[]>();
    const whole: Trajectory[] = [];
    for (const t of this.outputs) {
      const index = indexOf(t.source.locator);
      // A row format may still read one array as a single record (a bare message list).
      if (index === undefined) {
        whole.push(t);
        continue;
      }
      let list = byIndex.get(index);
      if (list === undefined) byIndex.set(index, (list = []));
      list.push(t);
    }
    for (const [index, outputs] of byIndex) this.auditAgainst([document[index]], outputs);
    if (whole.length > 0) this.auditAgainst([document], whole);
  }

  private flushRowsBefore(line: number): void {
    for (const [number, row] of this.rows) {
      if (number >= line) break;
      this.rows.delete(number);
      // A row with no trajectory was rejected whole; its reject says why.
      if (row.outputs.length > 0) this.auditAgainst([row.value], row.outputs);
    }
  }

  private auditAgainst(sources: unknown[], outputs: Trajectory[]): void {
    const haystack = new Haystack(outputs);
    const memo = new Map<string, Found>();
    const rules = this.importer.dropRules ?? [];
    for (const source of sources) auditRecord(source, haystack, rules, this.normalise, this.counts, memo);
  }
}

/** The array element a row-format trajectory came from: `index`, or the first step of its JSON pointer. */
function indexOf(locator: Locator): number | undefined {
  if (locator.index !== undefined) return locator.index;
  const step = /^\/(\d+)(?:\/|$)/.exec(locator.json_pointer ?? "");
  return step ? Number(step[1]) : undefined;
}

/** Every JSON file under a directory unit, as one object keyed by path steps (`events/event-00001-….json`). */
async function readDirectorySources(path: string): Promise<Record<string, unknown>> {
  const tree: Record<string, unknown> = {};
  for (const name of (await readdir(path)).sort()) {
    if (name.startsWith(".")) continue;
    const child = join(path, name);
    const info = await stat(child);
    if (info.isDirectory()) tree[name] = await readDirectorySources(child);
    else if (info.isFile() && name.endsWith(".json") && info.size <= MAX_AUDITED_FILE_BYTES) {
      try {
        // eslint-disable-next-line no-restricted-syntax -- any JSON value is audited as it is; a damaged file is the importer's reject
        tree[name] = JSON.parse(await readFile(child, "utf8"));
      } catch {
        // A file the importer rejected as a damaged line; its reject says why.
      }
    }
  }
  return tree;
}
