export * from "./records/index.js";
export * from "./io/index.js";
export type * from "./formats/types.js";
export { importers, importerFor } from "./formats/registry.js";
export { finishTrajectory, trajectoryId } from "./formats/common/finish.js";
export { inferDomain } from "./formats/domain.js";
export { importTrajectories, type ImportEvent, type ImportOptions } from "./import/run.js";
export { importToFiles, type ImportRunOptions } from "./import/write.js";
export { ImportStats } from "./import/stats.js";
export * from "./tokenize/index.js";
export {
  Chain,
  ChainStage,
  Evidence as LinkEvidence,
  Link,
  LinkKind,
  MINE_SCHEMA_VERSION,
  MineReject,
  PullRequest,
  RecoveryMethod,
  StageInstance,
  StageLabel,
} from "./records/mine.js";
export * from "./mine/index.js";
export * from "./evals/index.js";
export * from "./llm/index.js";
export { teachRun, type TeachRunOptions } from "./teach/run.js";
export { teachSample, candidateSeed, type TeachSetup, type CandidateReject, type SampleOutcome } from "./teach/candidates.js";
export { parseTeacherReply } from "./teach/parse.js";
export { TeachStats } from "./teach/stats.js";
export {
  Verifiers,
  DEFAULT_VERIFY_SETUP,
  type VerifySetup,
  type Verdict,
  type Candidate,
  verifyQa,
  normalizeAnswer,
  tokenF1,
  DEFAULT_QA_OPTIONS,
  type QaOptions,
  SqlRunner,
  SqlVerifier,
  compareResults,
  hasTopLevelOrderBy,
  comparePatches,
  parseDiff,
  PatchTester,
  verifyJudge,
  DEFAULT_RUBRIC,
  referenceOf,
  type Reference as VerifyReference,
} from "./verify/index.js";
export { verifySamples, type VerifySamplesOptions } from "./verify/samples.js";
export * from "./envs/index.js";
export {
  Box,
  type BoxOptions,
  DEFAULT_SANDBOX_LIMITS,
  type SandboxLimits,
  type SandboxSettings,
  SandboxUnavailable,
  sandboxProblem,
  requireSandbox,
  Workspace,
} from "./run/sandbox/index.js";
export * from "./rollout/index.js";
export { compileRun, type CompileRunOptions } from "./compile/run.js";
export { buildSample, type SampleOptions, type SampleResult, type DropReason } from "./compile/sample.js";
export { packSample, type PackOptions, type PackResult, type PromptTokenizer } from "./compile/pack.js";
export { extractEvidence, type EvidenceSources } from "./compile/evidence/index.js";
export { DEFAULT_LENGTHS, drawLength, parseLengthSpec, type LengthDistribution } from "./compile/lengths.js";
export { loadPromptTokenizer, promptTokenizer } from "./compile/tokenizer.js";
export { CompileStats } from "./compile/stats.js";
export { exportSamples, type ExportOptions, type ExportStats } from "./export/run.js";
export { EXPORT_TARGETS, type ExportTarget, type ReasoningMode } from "./export/rows.js";
export { Random } from "./random.js";
export * from "./privacy/index.js";
