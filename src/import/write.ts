import { AtomicFile, type LineSink } from "../io/atomic.js";
import type { Reject } from "../formats/types.js";
import { type ImportEvent, type ImportOptions, importTrajectories } from "./run.js";
import { ImportStats } from "./stats.js";

export interface ImportRunOptions extends ImportOptions {
  /** Where trajectories go, one JSON line each. */
  output: LineSink;
  /** Path of the rejects file (JSONL); written only when something is rejected. */
  rejectsPath: string;
  /** `fail` stops at the first rejected record and writes nothing. */
  onError: "skip" | "fail";
  onEvent?: (event: ImportEvent, stats: ImportStats) => void;
}

export class RejectedRecordError extends Error {
  override name = "RejectedRecordError";
  constructor(readonly reject: Reject) {
    super(`${where(reject)}: ${reject.reason}`);
  }
}

export function where(reject: Reject): string {
  const l = reject.locator;
  const at = l.line !== undefined ? `:${l.line}` : l.event_file ? ` (${l.event_file})` : l.json_pointer ? ` at ${l.json_pointer || "/"}` : "";
  return `${reject.file}${at}`;
}

/** Imports `inputs`, streaming trajectories to `output` and rejects to a rejects file; returns the totals. */
export async function importToFiles(inputs: readonly string[], options: ImportRunOptions): Promise<ImportStats> {
  const stats = new ImportStats();
  let rejects: AtomicFile | undefined;
  try {
    for await (const event of importTrajectories(inputs, options)) {
      stats.observe(event);
      options.onEvent?.(event, stats);
      if (event.type === "trajectory") {
        await options.output.write(`${JSON.stringify(event.trajectory)}\n`);
      } else if (event.type === "reject") {
        if (options.onError === "fail" && event.reject.scope === "record") throw new RejectedRecordError(event.reject);
        rejects ??= await AtomicFile.create(options.rejectsPath);
        await rejects.write(`${JSON.stringify(event.reject)}\n`);
      }
    }
  } catch (error) {
    await Promise.all([options.output.abort(), rejects?.abort()]);
    throw error;
  }
  await Promise.all([options.output.commit(), rejects?.commit()]);
  return stats;
}
