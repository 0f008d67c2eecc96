import { type Command, Option } from "commander";
import { UsageError } from "./io.js";

/** The flags every command that talks to an LLM endpoint takes: the key, the response cache, the retries. */
export function clientFlags(command: Command): Command {
  return command
    .addOption(retriesOption())
    .option("--api-key-env <var>", "environment variable holding the API key")
    .option("--api-key-file <file>", "file holding the API key")
    .option("--cache <dir>", "response cache folder, shared by runs", ".acc-cache/llm")
    .option("--no-cache", "send every request even when a cached answer exists");
}

/** --retries, also for the commands whose other client flags are their own (eval, rollout). */
export function retriesOption(): Option {
  return new Option("--retries <n>", "retries of a failed request (429, 5xx, timeouts, resets, malformed bodies), with backoff").default("5");
}

export function parseRetries(value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) throw new UsageError(`--retries expects a whole number ≥ 0, got "${String(value)}"`);
  return number;
}
