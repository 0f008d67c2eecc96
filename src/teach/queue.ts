import { AccError } from "../errors/acc-error.js";
import type { LlmClient } from "../llm/types.js";
import type { StageHandler } from "../queue/worker.js";
import { Sample } from "../records/sample.js";
import { formatProblems } from "../records/validate.js";
import { validateFast } from "../records/fast-validate.js";
import type { Verifiers, VerifySetup } from "../verify/index.js";
import { type TaughtSample, type TeachSetup, teachSample } from "./candidates.js";

/**
 * The settings a teach job carries: all that shapes a sample's result (the teacher's request settings and
 * how answers are verified), and nothing of one machine's (the endpoint, keys, the paths of databases,
 * repositories and read-only folders: each worker names its own, and says only whether it has them).
 */
export function teachSettings(setup: TeachSetup, verify: VerifySetup): Record<string, unknown> {
  const judge = verify.judge ? { model: verify.judge.model, rubric: verify.judge.rubric ?? null, maxTokens: verify.judge.maxTokens ?? null } : null;
  return {
    setup,
    qa: verify.qa,
    sql: verify.sql ?? null,
    sqlTimeoutMs: verify.sqlTimeoutMs,
    sqlMemoryBytes: verify.sqlMemoryBytes,
    testCommand: verify.testCommand ?? null,
    testLimits: verify.sandbox.limits,
    unsafe: verify.sandbox.unsafe,
    db: verify.db !== undefined,
    repo: verify.repo !== undefined,
    judge,
  };
}

/** A worker's teach: the sample of each job taught with this worker's client and verifiers. */
export function teachHandler(client: LlmClient, verifiers: Verifiers, setup: TeachSetup, verify: VerifySetup): StageHandler {
  return {
    stage: "teach",
    settings: teachSettings(setup, verify),
    process: async (record, line) => {
      // a job is input from the network: checked as the producer checked it
      const checked = validateFast(Sample, record);
      if (!checked.ok) throw new AccError(`the job's record is not a valid sample: ${formatProblems(checked.problems)}`, { code: "invalid-job" });
      return teachSample(checked.value, line, client, verifiers, setup);
    },
  };
}

/** A worker's result for this sample, checked: what the producer writes must be about the sample it sent. */
export function taughtFromJob(value: unknown, sample: Sample, line: number): TaughtSample | { malformed: string } {
  const taught = value as Partial<TaughtSample> | null;
  const malformed = (why: string) => ({ malformed: `the worker's result is malformed: ${why}` });
  if (taught === null || typeof taught !== "object" || !Array.isArray(taught.kept) || !Array.isArray(taught.rejects) || typeof taught.outcome !== "object" || taught.outcome === null) {
    return malformed("not a taught sample");
  }
  if (taught.outcome.sample_id !== sample.id || taught.outcome.line !== line) return malformed(`its outcome is about ${String(taught.outcome.sample_id)}, line ${String(taught.outcome.line)}`);
  for (const kept of taught.kept) {
    const checked = validateFast(Sample, kept);
    if (!checked.ok) return malformed(`a kept sample is invalid: ${formatProblems(checked.problems)}`);
    if (checked.value.id !== sample.id && !checked.value.id.startsWith(`${sample.id}-c`)) return malformed(`it keeps sample ${checked.value.id}`);
  }
  return taught as TaughtSample;
}
