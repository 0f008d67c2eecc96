import type { Command } from "commander";
import { createClient } from "../llm/client.js";
import type { ClientOptions, LlmClient } from "../llm/types.js";
import { UsageError } from "./io.js";

/** The flags every command that talks to an LLM endpoint takes: the key, and the response cache. */
export function clientFlags(command: Command): Command {
  return command
    .option("--api-key-env <var>", "environment variable holding the API key")
    .option("--api-key-file <file>", "file holding the API key")
    .option("--cache <dir>", "response cache folder, shared by runs", ".acc-cache/llm")
    .option("--no-cache", "send every request even when a cached answer exists");
}

/** The LLM client those flags describe; a bad key setting is a usage error. */
export function makeClient(endpoint: string, flags: Record<string, unknown>, concurrency: number, extra: Partial<ClientOptions> = {}): LlmClient {
  try {
    return createClient({
      endpoint,
      concurrency,
      ...(flags.apiKeyEnv ? { apiKeyEnv: String(flags.apiKeyEnv) } : {}),
      ...(flags.apiKeyFile ? { apiKeyFile: String(flags.apiKeyFile) } : {}),
      ...(flags.cache === false ? {} : { cacheDir: String(flags.cache) }),
      ...extra,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
