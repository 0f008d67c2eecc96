import { join } from "node:path";
import { AtomicFile } from "../io/atomic.js";

/** One refused input line as rejects.jsonl holds it: its file, its line and why. */
export function rejectLine(file: string, line: number, reason: string): string {
  return JSON.stringify({ file, locator: { line }, reason });
}

/** An export's rejects.jsonl, made with its first line: a run that refused nothing has none. */
export class ExportRejects {
  count = 0;
  private file: AtomicFile | undefined;

  constructor(private readonly outDir: string) {}

  get written(): boolean {
    return this.file !== undefined;
  }

  /** A line of rejectLine's shape. */
  async add(line: string): Promise<void> {
    this.count++;
    this.file ??= await AtomicFile.create(join(this.outDir, "rejects.jsonl"));
    await this.file.write(`${line}\n`);
  }

  async commit(): Promise<void> {
    await this.file?.commit();
  }

  async abort(): Promise<void> {
    await this.file?.abort();
  }
}
