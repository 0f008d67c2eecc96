import { DEFAULT_SANDBOX_LIMITS, type SandboxSettings } from "../run/sandbox/index.js";
import { DEFAULT_SQL_MEMORY_BYTES } from "../run/sqlite-process.js";
import { RepoEnvironment } from "./repo.js";
import { DEFAULT_SEARCH_OPTIONS, SearchEnvironment } from "./search.js";
import { DEFAULT_SQL_OPTIONS, SqlEnvironment } from "./sql.js";
import { existsSync } from "node:fs";
import { DEFAULT_MAX_CHARS, type Environment, type EnvName, EnvSpecError } from "./types.js";

export { CorpusError, DEFAULT_SEARCH_OPTIONS, SearchEnvironment, type SearchEnvOptions } from "./search.js";
export { defaultIndexPath, ensureSearchIndex, isSqliteFile, type SearchIndex } from "./search-index.js";
export { DEFAULT_SQL_OPTIONS, queryOf, SqlEnvironment, type SqlEnvOptions } from "./sql.js";
export { RepoEnvironment, type RepoEnvOptions } from "./repo.js";
export { EnvSpecError } from "./types.js";
export type { EnvName, EnvSession, Environment, FinalAnswer, RewardOutcome, ToolResult, ToolSpec } from "./types.js";
export { DEFAULT_MAX_CHARS } from "./types.js";

/** Which environment, and the file or folder it works on: `sql:<db>`, `search:<corpus.jsonl>`, `repo:<git repo>`. */
export interface EnvSpec {
  kind: EnvName;
  path: string;
}

export function parseEnvSpec(text: string): EnvSpec {
  const colon = text.indexOf(":");
  const kind = colon === -1 ? text : text.slice(0, colon);
  const path = colon === -1 ? "" : text.slice(colon + 1);
  if (kind !== "sql" && kind !== "search" && kind !== "repo") throw new EnvSpecError(`unknown environment "${kind}": use sql:<db>, search:<corpus.jsonl> or repo:<git repository>`);
  if (path === "") throw new EnvSpecError(`${kind}: give the ${kind === "sql" ? "database file" : kind === "search" ? "corpus file" : "repository"} after the colon, e.g. ${kind}:<path>`);
  return { kind, path };
}

/** Settings of every environment kind; each takes what it needs. */
export interface EnvSettings {
  /** SQL statements and search/view results: characters shown to the agent. */
  maxChars: number;
  sqlTimeoutMs: number;
  sqlMaxRows: number;
  /** Memory of each SQL process. */
  sqlMemoryBytes: number;
  /** SQL processes, search threads, or box commands at once. */
  jobs: number;
  /** The repo environment's box (its timeoutMs is each tool call's). */
  sandbox: SandboxSettings;
  testTimeoutMs: number;
  /** repo: the test command of tasks that name none (SWE-bench instances, acc mine stages mined without --test-cmd). */
  testCommand?: string;
}

export const DEFAULT_ENV_SETTINGS: EnvSettings = {
  maxChars: DEFAULT_MAX_CHARS,
  sqlTimeoutMs: DEFAULT_SQL_OPTIONS.timeoutMs,
  sqlMaxRows: DEFAULT_SQL_OPTIONS.maxRows,
  sqlMemoryBytes: DEFAULT_SQL_MEMORY_BYTES,
  jobs: 2,
  sandbox: { limits: DEFAULT_SANDBOX_LIMITS, readOnly: [], unsafe: false },
  testTimeoutMs: 300_000,
};

export async function createEnvironment(spec: EnvSpec, settings: EnvSettings = DEFAULT_ENV_SETTINGS): Promise<Environment> {
  if (!existsSync(spec.path)) throw new EnvSpecError(`${spec.kind} environment: ${spec.path} does not exist`);
  switch (spec.kind) {
    case "sql":
      return new SqlEnvironment({ db: spec.path, timeoutMs: settings.sqlTimeoutMs, maxRows: settings.sqlMaxRows, maxChars: settings.maxChars, processes: settings.jobs, memoryBytes: settings.sqlMemoryBytes });
    case "search":
      return SearchEnvironment.load({ ...DEFAULT_SEARCH_OPTIONS, corpus: spec.path, maxChars: settings.maxChars, workers: settings.jobs });
    case "repo":
      return RepoEnvironment.create({
        repo: spec.path,
        sandbox: settings.sandbox,
        testTimeoutMs: settings.testTimeoutMs,
        maxChars: settings.maxChars,
        jobs: settings.jobs,
        ...(settings.testCommand !== undefined ? { testCommand: settings.testCommand } : {}),
      });
  }
}
