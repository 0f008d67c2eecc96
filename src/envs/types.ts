import type { RolloutTask } from "../records/rollout.js";
import type { Domain, Task } from "../records/trajectory.js";
import { UsageError } from "../errors/acc-error.js";

/** A tool as the policy sees it (OpenAI function-calling shape). */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: { type: "object"; properties: Record<string, unknown>; required: string[] };
}

export interface ToolResult {
  content: string;
  isError: boolean;
  /** Set by a tool that ends the episode (repo's submit): the submitted answer. */
  submitted?: string;
}

/** How the episode ended, as the environment scores it. */
export interface FinalAnswer {
  /** The answer text, or what submit produced (repo: the patch). */
  answer: string;
}

export interface RewardOutcome {
  reward: number;
  success: boolean;
  /** A stable code and one readable line (the verifier's verdict). */
  reason: string;
  detail: string;
  /** For the exported trajectory: the SQL or patch the answer carried. */
  submittedSql?: string;
  submittedPatch?: string;
}

/** One episode's hold on an environment: its tools' state (a worktree, nothing) and its reward. */
export interface EnvSession {
  call(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  reward(final: FinalAnswer): Promise<RewardOutcome>;
  close(): Promise<void>;
}

export type EnvName = "sql" | "search" | "repo";

export interface Environment {
  readonly name: EnvName;
  readonly domain: Domain;
  readonly tools: readonly ToolSpec[];
  /** Default system prompt (a task's `system_prompt` replaces it). */
  readonly systemPrompt: string;
  /** Why this task cannot run here (a missing field, a database that does not exist), or undefined. */
  checkTask(task: RolloutTask): string | undefined;
  /** The trajectory's task block: database or repository reference, ground truth. */
  trajectoryTask(task: RolloutTask): Partial<Task>;
  open(task: RolloutTask): Promise<EnvSession>;
  /** What identifies the environment's data for resuming (paths, sizes, times). */
  fingerprint(): Promise<unknown>;
  close(): Promise<void>;
}

/** A tool's argument read as a string, or an error result naming it. */
export function stringArgument(args: Record<string, unknown>, name: string, tool: string): string | ToolResult {
  const value = args[name];
  if (typeof value === "string") return value;
  return { content: `${tool}: argument "${name}" must be a string, got ${value === undefined ? "nothing" : JSON.stringify(value)}`, isError: true };
}

/** A tool's optional integer argument, or an error result naming it. */
export function integerArgument(args: Record<string, unknown>, name: string, tool: string, fallback: number): number | ToolResult {
  const value = args[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  return { content: `${tool}: argument "${name}" must be an integer, got ${JSON.stringify(value)}`, isError: true };
}

/** Characters of one tool result shown to the agent unless `--max-chars` says otherwise. */
export const DEFAULT_MAX_CHARS = 4_000;

/** Text cut to `maxChars`, saying how much was left out. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[… ${text.length - maxChars} more characters not shown]`;
}

/** An environment that cannot start: a missing database, corpus or repository. */
export class EnvSpecError extends UsageError {
  override name = "EnvSpecError";
}
