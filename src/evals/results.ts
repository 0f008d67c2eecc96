import { open, readFile, truncate } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { ChatUsage } from "../llm/types.js";
import { trackFreshOutput } from "../io/cleanup.js";
import type { ContextBin } from "./bins.js";
import { EvalDataError } from "./rows.js";

/** One graded item: a line of results.jsonl. */
export interface ResultRecord {
  id: string;
  group: string;
  /** o200k_base tokens of the item's context (see EvalKind.contextTexts). */
  tokens: number;
  bin: ContextBin;
  score: number;
  detail: Record<string, unknown>;
  /** The model's text (message content) that was graded. */
  response: string;
  finish_reason?: string | null;
  usage?: ChatUsage | null;
  /** True when the client answered from its disk cache. */
  cached?: boolean;
  attempts?: number;
}

/**
 * The records of an earlier run, in file order. A last line cut short by a killed run (no newline at
 * the end) is dropped and the file truncated to its last complete line, so appending resumes cleanly;
 * any other bad line is an error naming the line.
 */
export async function readResults(path: string): Promise<ResultRecord[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const complete = text.lastIndexOf("\n") + 1;
  if (complete < text.length) {
    await truncate(path, Buffer.byteLength(text.slice(0, complete)));
    text = text.slice(0, complete);
  }
  const records: ResultRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let record: ResultRecord;
    try {
      record = JSON.parse(line) as ResultRecord;
    } catch (error) {
      throw new EvalDataError(`${path}: line ${i + 1}: invalid JSON: ${(error as Error).message}`);
    }
    if (typeof record?.id !== "string" || typeof record.response !== "string" || !Number.isSafeInteger(record.tokens)) {
      throw new EvalDataError(`${path}: line ${i + 1}: not a result record (needs id, response and tokens)`);
    }
    records.push(record);
  }
  return records;
}

/** A record's line in results.jsonl (with its newline). */
export function resultLine(record: ResultRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Appends records in the order they are given, without making the caller wait: records appended while
 * a write is on its way go out together in the next one. A kill leaves at most a torn last line, which
 * readResults drops. A failed write fails the next append and close.
 */
export class ResultsJournal {
  private waiting: string[] = [];
  private writing: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  private constructor(private readonly handle: FileHandle) {}

  /** Opens the journal for appending; a new one is removed again if the run fails before writing to it. */
  static async open(path: string): Promise<ResultsJournal> {
    const handle = await open(path, "a");
    if ((await handle.stat()).size === 0) trackFreshOutput(path);
    return new ResultsJournal(handle);
  }

  /** Appends one record's line (resultLine). */
  append(line: string): void {
    if (this.failure) throw this.failure.error;
    this.waiting.push(line);
    this.writing ??= this.writeWaiting();
  }

  private async writeWaiting(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const text = this.waiting.join("");
        this.waiting = [];
        await this.handle.write(text);
      }
    } catch (error) {
      this.failure ??= { error };
    } finally {
      this.writing = undefined;
    }
  }

  /** Waits for every record appended so far to be written; throws a failed write's error. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every appended record to be written, then closes; throws a failed write's error. */
  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
    if (this.failure) throw this.failure.error;
  }
}
