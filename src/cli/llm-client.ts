import { createClient } from "../llm/client.js";
import type { ClientOptions, LlmClient } from "../llm/types.js";
import { UsageError } from "./io.js";
import type { ClientFlags } from "./options.js";

/** The LLM client the flags of clientOptions (src/cli/options.ts) describe; a bad key setting is a usage error. */
export function makeClient(endpoint: string, flags: Partial<ClientFlags>, concurrency: number, extra: Partial<ClientOptions> = {}): LlmClient {
  try {
    return createClient({
      endpoint,
      concurrency,
      ...(flags.retries === undefined ? {} : { maxRetries: flags.retries }),
      ...(flags.apiKeyEnv ? { apiKeyEnv: flags.apiKeyEnv } : {}),
      ...(flags.apiKeyFile ? { apiKeyFile: flags.apiKeyFile } : {}),
      ...(flags.cache === false || flags.cache === undefined ? {} : { cacheDir: flags.cache }),
      ...extra,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}
