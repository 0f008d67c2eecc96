import type { Command } from "commander";

/** The flags every command that talks to an LLM endpoint takes: the key, and the response cache. */
export function clientFlags(command: Command): Command {
  return command
    .option("--api-key-env <var>", "environment variable holding the API key")
    .option("--api-key-file <file>", "file holding the API key")
    .option("--cache <dir>", "response cache folder, shared by runs", ".acc-cache/llm")
    .option("--no-cache", "send every request even when a cached answer exists");
}
