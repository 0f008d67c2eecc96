import type { Command } from "commander";
import { Option } from "commander";
import type { LlmClient } from "../llm/types.js";
import { DEFAULT_QA_OPTIONS, DEFAULT_VERIFY_SETUP, type JudgeOptions, type QaOptions, type VerifySetup } from "../verify/index.js";
import { gitRepository, readText, sqliteDatabase, UsageError } from "./io.js";
import { addOptions, choiceOption, mebibytesOption, numberOption, positiveIntegerOption, secondsOption } from "./options.js";
import { type SandboxFlags, sandboxOptions, sandboxSettings } from "./sandbox-options.js";

/** The QA rules' flags (acc verify qa, verify samples, teach, worker teach). */
export interface QaFlags {
  f1: number;
  tolerance: number;
  list?: "set" | "ordered";
}

export function toleranceOption(description: string): Option {
  return numberOption("--tolerance <x>", description, { min: 0 }, DEFAULT_QA_OPTIONS.tolerance);
}

export function qaOptions<C extends Command>(command: C): C {
  return addOptions(command, [
    numberOption("--f1 <x>", "token F1 at or above which a free-text answer passes", { min: 0, max: 1 }, DEFAULT_QA_OPTIONS.f1Threshold),
    toleranceOption("relative tolerance when both answers are one number"),
    choiceOption("--list <mode>", "compare answers as lists: set (order ignored) or ordered", ["set", "ordered"] as const),
  ]);
}

export function qaSettings(flags: QaFlags): QaOptions {
  return { f1Threshold: flags.f1, tolerance: flags.tolerance, ...(flags.list ? { list: flags.list } : {}) };
}

/** The flags of verifierOptions (milliseconds and bytes), the judge's included. */
export interface VerifierFlags extends QaFlags, SandboxFlags {
  db?: string;
  repo?: string;
  testCmd?: string;
  testTimeout: number;
  sqlTimeout: number;
  sqlMemory: number;
  jobs: number;
  judgeModel?: string;
  judgeEndpoint?: string;
  rubric?: string;
  endpoint?: string;
}

/** How samples are verified: SQL databases, the repository and its tests in the sandbox, the judge (teach, verify samples, worker teach). */
export function verifierOptions<C extends Command>(command: C): C {
  return addOptions(sandboxOptions(command), [
    new Option("--db <path>", "SQLite file, or folder of them by database id: SQL samples with a gold query are checked by running it"),
    new Option("--repo <dir>", "git repository of SWE samples (with --test-cmd)"),
    new Option("--test-cmd <cmd>", "test command run in the sandbox at the repository's root after applying a patch; exit 0 passes (else: compare with the gold patch)"),
    secondsOption("--test-timeout <s>", "time limit of each test run, seconds", 600),
    sqlTimeoutOption(),
    mebibytesOption("--sql-memory <MiB>", "memory of each SQL process", DEFAULT_VERIFY_SETUP.sqlMemoryBytes),
    positiveIntegerOption("--jobs <n>", "test runs and SQL processes at once", DEFAULT_VERIFY_SETUP.jobs),
    new Option("--judge-model <name>", "LLM judge for free-text answers the rules reject"),
    new Option("--judge-endpoint <url>", "endpoint of the judge (default: --endpoint)"),
    rubricOption("the judge's rubric (default: docs/commands/verify.md)"),
  ]);
}

export function sqlTimeoutOption(): Option {
  return secondsOption("--sql-timeout <s>", "time limit of each query, seconds", 30);
}

export function rubricOption(description: string): Option {
  return new Option("--rubric <file>", description);
}

export function verifySetup(flags: VerifierFlags, judgeClient: LlmClient | undefined): VerifySetup {
  const setup: VerifySetup = {
    qa: qaSettings(flags),
    sqlTimeoutMs: flags.sqlTimeout,
    sqlMemoryBytes: flags.sqlMemory,
    sandbox: sandboxSettings(flags, flags.testTimeout),
    jobs: flags.jobs,
  };
  if (flags.db !== undefined) setup.db = sqliteDatabase(flags.db, "--db");
  if (flags.repo !== undefined) setup.repo = gitRepository(flags.repo, "--repo");
  if (flags.testCmd !== undefined) {
    if (flags.repo === undefined) throw new UsageError("--test-cmd needs --repo", { flag: "--test-cmd" });
    setup.testCommand = flags.testCmd;
  }
  if (judgeClient && flags.judgeModel !== undefined) setup.judge = judgeOptions(flags.judgeModel, flags, judgeClient);
  return setup;
}

export function judgeOptions(model: string, flags: { rubric?: string }, client: LlmClient): JudgeOptions {
  return { client, model, ...(flags.rubric ? { rubric: readText(flags.rubric, "--rubric") } : {}) };
}

export function judgeEndpoint(flags: { judgeEndpoint?: string; endpoint?: string }): string {
  const endpoint = flags.judgeEndpoint ?? flags.endpoint;
  if (endpoint === undefined) throw new UsageError("--judge-model needs --judge-endpoint or --endpoint", { flag: "--judge-model" });
  return endpoint;
}
