import type { Sample } from "../records/sample.js";
import { DEFAULT_SANDBOX_LIMITS, type SandboxSettings } from "../run/sandbox/index.js";
import { DEFAULT_SQL_MEMORY_BYTES, SqliteProcesses } from "../run/sqlite-process.js";
import { comparePatches } from "./diff.js";
import { type JudgeOptions, verifyJudge } from "./judge.js";
import { PatchTester } from "./patch.js";
import { DEFAULT_QA_OPTIONS, type QaOptions, verifyQa } from "./qa.js";
import { type Reference, type ReferenceSources, referenceOf } from "./reference.js";
import { SqlVerifier, type SqlOptions } from "./sql.js";
import { type Candidate, fail, type Verdict } from "./types.js";

export { comparePatches, parseDiff } from "./diff.js";
export { DEFAULT_RUBRIC, judgeMessages, parseJudgeVerdict, verifyJudge, type JudgeOptions } from "./judge.js";
export { PatchTester, type PatchTestOptions } from "./patch.js";
export { DEFAULT_QA_OPTIONS, normalizeAnswer, tokenF1, verifyQa, type QaOptions } from "./qa.js";
export { referenceName, referenceOf, type Reference, type ReferenceSources } from "./reference.js";
export { compareResults, DEFAULT_SQL_OPTIONS, hasTopLevelOrderBy, SqlVerifier, type CompareOptions, type QueryOutcome, type SqlCheck, type SqlOptions } from "./sql.js";
/** The SQLite processes a SqlVerifier runs its queries in, under the name the library has exported. */
export { SqliteProcesses as SqlRunner } from "../run/sqlite-process.js";
export type { Candidate, Verdict } from "./types.js";

export interface VerifySetup extends ReferenceSources {
  qa: QaOptions;
  sqlTimeoutMs: number;
  /** Memory of each SQL process. */
  sqlMemoryBytes: number;
  /** The box tests run in; its `limits.timeoutMs` is the test command's time limit. */
  sandbox: SandboxSettings;
  /** SQL processes and test runs at once. */
  jobs: number;
  /** Answers the QA rules reject go to this LLM judge, which may accept them. */
  judge?: JudgeOptions;
  /** How query results compare (default: columns in any order). */
  sql?: SqlOptions;
}

export const DEFAULT_VERIFY_SETUP: VerifySetup = {
  qa: DEFAULT_QA_OPTIONS,
  sqlTimeoutMs: 30_000,
  sqlMemoryBytes: DEFAULT_SQL_MEMORY_BYTES,
  sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 600_000 }, readOnly: [], unsafe: false },
  jobs: 2,
};

/** Every verifier behind one call, with the processes they need started on first use and stopped by close(). */
export class Verifiers {
  private runner: SqliteProcesses | undefined;
  private sql: SqlVerifier | undefined;

  private constructor(
    private readonly setup: VerifySetup,
    private readonly tester: PatchTester | undefined,
  ) {}

  /** Refuses (SandboxUnavailable) when tests are configured and the sandbox cannot run them. */
  static async create(setup: VerifySetup): Promise<Verifiers> {
    const tester =
      setup.testCommand !== undefined && setup.repo !== undefined
        ? await PatchTester.create({ repo: setup.repo, testCommand: setup.testCommand, sandbox: setup.sandbox, jobs: setup.jobs })
        : undefined;
    return new Verifiers(setup, tester);
  }

  referenceOf(sample: Sample): Reference | { unverifiable: string } {
    return referenceOf(sample, this.setup);
  }

  /** A candidate against a reference; request failures of the judge are thrown (LlmError). */
  async verify(sample: Sample, reference: Reference, candidate: Candidate): Promise<Verdict> {
    switch (reference.kind) {
      case "qa": {
        const verdict = verifyQa(candidate.answer, reference.gold, this.setup.qa);
        if (verdict.pass || !this.setup.judge || verdict.reason !== "mismatch") return verdict;
        const judged = await verifyJudge(this.setup.judge, { question: sample.meta.task.question, answer: candidate.answer, gold: reference.gold });
        return { ...judged, detail: `${judged.detail} (rules: ${verdict.detail})` };
      }
      case "sql":
        return this.sqlVerifier().verify({
          db: reference.db,
          goldSql: reference.goldSql,
          ...(candidate.sql !== undefined ? { candidateSql: candidate.sql } : { candidateValue: candidate.answer }),
        });
      case "patch-tests":
        if (candidate.patch === undefined) return fail("no-candidate", "no unified diff in the answer");
        return this.tester!.verify(reference.base, candidate.patch);
      case "patch-gold":
        return comparePatches(candidate.patch ?? candidate.answer, reference.goldPatch);
    }
  }

  async close(): Promise<void> {
    await this.runner?.close();
  }

  private sqlVerifier(): SqlVerifier {
    if (!this.sql) {
      this.runner = new SqliteProcesses(this.setup.jobs, this.setup.sqlMemoryBytes);
      this.sql = new SqlVerifier(this.runner, this.setup.sqlTimeoutMs, this.setup.qa, this.setup.sql);
    }
    return this.sql;
  }
}
