import type { JobOutcome } from "./producer.js";

/** What a stage's run needs of the queue: each record's outcome, and letting go of the jobs it has saved. */
export interface RemoteStage {
  process(key: string, line: number, record: unknown): Promise<JobOutcome>;
  forget(keys: readonly string[]): Promise<void>;
  /** Fails every record still waiting (and every later one) with `reason`: the run has stopped. */
  abandon(reason: unknown): void;
  close(): Promise<void>;
}
