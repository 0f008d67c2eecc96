// The public API of agent-context-compiler, grouped by stage, every name listed (docs/api.md documents
// them; test/api/package.test.ts checks the built package against that page). A name missing here is
// internal and may change without notice. The in-process test server is `agent-context-compiler/testing`.

// Errors: every failure acc expects is an AccError whose code decides the exit code (docs/cli.md#error-codes).
export { AccError, UsageError, type AccErrorDetails, type ExitCode } from "./errors/acc-error.js";
export { ERROR_CODES, type ErrorCode } from "./errors/codes.js";

// Records: the zod schemas of everything acc reads and writes, and their validation.
export {
  AssistantMessage,
  Domain,
  Final,
  Locator,
  Message,
  Outcome,
  Source,
  SubagentLink,
  SystemMessage,
  Task,
  ToolCall,
  ToolDefinition,
  ToolMessage,
  Trajectory,
  TRAJECTORY_SCHEMA_VERSION,
  TrajectoryEvent,
  UserMessage,
} from "./records/trajectory.js";
export { ImportWarning, WarningCode } from "./records/import-warning.js";
export { EvidencePiece, PieceKind, PieceOrigin, PieceRole, Sample, SAMPLE_SCHEMA_VERSION } from "./records/sample.js";
export {
  Episode,
  EpisodeCounts,
  OverlongReason,
  ROLLOUT_SCHEMA_VERSION,
  RolloutRow,
  RolloutSegment,
  RolloutStep,
  RolloutTask,
  StepKind,
  StopReason,
  Violation,
} from "./records/rollout.js";
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
export { formatProblems, validate, type SchemaProblem, type Validation } from "./records/validate.js";

// Import: agent logs of every supported format → trajectories.
export type { DraftMessage, DraftToolCall, ImportInput, ImportItem, Importer, Probe, Reject, RejectCode, TrajectoryDraft } from "./formats/types.js";
export { importers, importerFor } from "./formats/registry.js";
export { finishTrajectory, trajectoryId } from "./formats/common/finish.js";
export { inferDomain } from "./formats/domain.js";
export { importTrajectories, type ImportEvent, type ImportOptions } from "./import/run.js";
export { importToFiles, type ImportRunOptions } from "./import/write.js";
export { ImportStats } from "./import/stats.js";

// Privacy: secret redaction and decontamination against eval sets.
export { REDACT_MODES, SECRET_TYPES, type FindingCounts, type RedactMode, type SecretType } from "./privacy/types.js";
export { findSecrets, redactText } from "./privacy/scan.js";
export { Redactor } from "./privacy/redactor.js";
export { redactTrajectory } from "./privacy/trajectory.js";
export {
  decontaminate,
  DecontaminateError,
  DECONTAMINATE_MODES,
  DEFAULT_NGRAM,
  type ContaminationRecord,
  type DecontaminateMode,
  type DecontaminateOptions,
  type DecontaminateReport,
  type EvalSetReport,
} from "./privacy/decontaminate.js";

// Tokenizers.
export type { ChatTemplateOptions, ChatTurns, SpecialToken, SpecialTokens, TemplateMessage, Tokenizer, TokenizerBackend, TokenizerInfo } from "./tokenize/types.js";
export { ChatTemplateError, TokenizerError } from "./tokenize/errors.js";
export { loadTokenizer, type LoadOptions } from "./tokenize/hf-dir.js";
export { loadQwen3 } from "./tokenize/qwen3.js";
export { loadOpenAiEncoding, OPENAI_ENCODINGS, type OpenAiEncoding } from "./tokenize/openai.js";
export { BUNDLED_TOKENIZERS, resolveTokenizer } from "./tokenize/resolve.js";
export { TokenizerPool } from "./tokenize/tokenizer-pool.js";

// Compile: trajectories → long-context samples.
export { compileRun, type CompileRunOptions } from "./compile/run.js";
export { buildSample, type DropReason, type SampleOptions, type SampleResult } from "./compile/sample.js";
export { packSample, type PackOptions, type PackResult, type PromptTokenizer } from "./compile/pack.js";
export { extractEvidence, type EvidenceSources } from "./compile/evidence/index.js";
export { DEFAULT_LENGTHS, drawLength, parseLengthSpec, type LengthDistribution } from "./compile/lengths.js";
export { loadPromptTokenizer, promptTokenizer } from "./compile/tokenizer.js";
export { CompileStats } from "./compile/stats.js";

// Export: samples and trajectories → trainer files.
export { exportSamples, type ExportOptions, type ExportStats } from "./export/run.js";
export { EXPORT_TARGETS, type ExportTarget, type ReasoningMode } from "./export/rows.js";

// LLM client: any OpenAI-compatible endpoint.
export { createClient } from "./llm/client.js";
export { loadApiKey } from "./llm/keys.js";
export {
  LlmError,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type ChatToolCall,
  type ChatUsage,
  type ClientOptions,
  type ClientStats,
  type LlmClient,
  type LlmErrorCode,
  type RetryInfo,
} from "./llm/types.js";
export type { FinishReason } from "./llm/finish-reason.js";

// Verify and teach: verifiers, and teacher traces with rejection sampling.
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
  comparePatches,
  parseDiff,
  PatchTester,
  verifyJudge,
  DEFAULT_RUBRIC,
  referenceOf,
  type Reference as VerifyReference,
} from "./verify/index.js";
export { verifySamples, type VerifySamplesOptions } from "./verify/samples.js";
export { teachRun, type TeachRunOptions } from "./teach/run.js";
export { teachSample, candidateSeed, type TeachSetup, type CandidateReject, type SampleOutcome } from "./teach/candidates.js";
export { parseTeacherReply } from "./teach/parse.js";
export { TeachStats } from "./teach/stats.js";

// Sandbox: the box untrusted code runs in.
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

// Environments and rollout: agents on tasks, with context management, for RL.
export {
  createEnvironment,
  CorpusError,
  DEFAULT_ENV_SETTINGS,
  DEFAULT_MAX_CHARS,
  DEFAULT_SEARCH_OPTIONS,
  DEFAULT_SQL_OPTIONS,
  defaultIndexPath,
  ensureSearchIndex,
  EnvSpecError,
  parseEnvSpec,
  RepoEnvironment,
  SearchEnvironment,
  SqlEnvironment,
  type EnvName,
  type EnvSession,
  type EnvSettings,
  type EnvSpec,
  type Environment,
  type FinalAnswer,
  type RepoEnvOptions,
  type RewardOutcome,
  type SearchEnvOptions,
  type SearchIndex,
  type SqlEnvOptions,
  type ToolResult,
  type ToolSpec,
} from "./envs/index.js";
export { ADVANTAGE_EPSILON, groupAdvantages } from "./rollout/advantages.js";
export { CONTINUATION, contextManager, EXTERNAL_SUMMARY_PROMPT, OBSERVATION_PLACEHOLDER, SUPO_SUMMARY_PROMPT } from "./rollout/context.js";
export { runEpisode, ToolFailure, type EpisodeDeps, type EpisodeInput, type EpisodeOutput, type TranscriptEntry } from "./rollout/episode.js";
export { writeRowsParquet } from "./rollout/parquet.js";
export { InvariantError, Policy, type PolicyCall, type PolicyReply } from "./rollout/policy.js";
export { PromptPredictor } from "./rollout/prompt.js";
export { nativeProtocol, textProtocol, type Action, type Call, type ToolProtocol } from "./rollout/protocol.js";
export { episodeRows } from "./rollout/rows.js";
export { episodeSeed, rolloutRun, type RolloutRunOptions } from "./rollout/run.js";
export { RolloutStats, type RolloutStatsData } from "./rollout/stats.js";
export { readTasks, TaskFileError } from "./rollout/tasks.js";
export { ChatTemplateText } from "./rollout/template.js";
export { episodeTrajectory } from "./rollout/trajectory.js";
export type { ContextManager, ContextName, ContextSettings, EpisodeControl, EpisodeSettings } from "./rollout/types.js";

// Evals: MRCR and GraphWalks, loaded or generated, graded exactly.
export type { EvalKind, EvalName, Grade } from "./evals/types.js";
export { sequenceMatcherRatio } from "./evals/difflib.js";
export { gradeMrcr, mrcrEval, type MrcrGrade, type MrcrItem, type MrcrMessage } from "./evals/mrcr.js";
export {
  EMPTY_GOLD_MODES,
  gradeGraphwalks,
  graphwalksEval,
  PARSE_MODES,
  type EmptyGoldMode,
  type GraphwalksGrade,
  type GraphwalksItem,
  type GraphwalksOptions,
  type ParseMode,
} from "./evals/graphwalks.js";
export { EvalDataError } from "./evals/rows.js";
export { loadItems, readResponses } from "./evals/data.js";
export { generateGraphwalks, type GraphwalksGenerateOptions } from "./evals/generate-graphwalks.js";
export { generateMrcr, MRCR_NEEDLES, type MrcrGenerateOptions } from "./evals/generate-mrcr.js";
export { CONTEXT_BINS, contextBin, type ContextBin } from "./evals/bins.js";
export { countTokens } from "./evals/tokens.js";
export { runEval, EvalUsageError, type AnswerSource, type EvalRunOptions, type EvalRunResult } from "./evals/runner.js";
export { checkGraphwalksGold, evaluate, GRAPHWALKS_SPLIT, type EvaluateOptions, type GoldCheckResult } from "./evals/evaluate.js";
export { checkGold, recomputeGold, type GoldCheck, type GoldCheckSummary } from "./evals/graphwalks-gold.js";
export { renderSummary, summarize, type EvalCounts, type EvalSummary, type ScoreTable } from "./evals/report.js";
export { renderHtmlReport } from "./evals/report-html.js";
export type { ResultRecord } from "./evals/results.js";

// Mine: chains of pull requests from a git history → staged tasks.
export {
  DEFAULT_TEST_TIMEOUT_SECONDS,
  mineRepository,
  type MineOptions,
  type MineProgress,
  type MineResult,
  type MineStats,
} from "./mine/run.js";
export { GitError, MineError, RepositoryError } from "./mine/errors.js";
export { ExportError, GitHubExport, readGitHubExport } from "./mine/github-export.js";
export { openRepository, type RepositoryFacts } from "./mine/repository.js";
export { llmStatementWriter, type StatementWriter } from "./mine/statements.js";
export { checkTestSandbox, validateStage, type StageValidation, type TestRun, type ValidationInput } from "./mine/execution.js";
export { SnapshotError, verifySnapshot, writeSnapshot, type Snapshot } from "./mine/snapshot.js";
export { MINE_FILES, writeMineOutputs, type MineManifest } from "./mine/write.js";

// The seeded generator behind every random choice.
export { Random } from "./random.js";
