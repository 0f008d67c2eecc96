import { createClient } from "../llm/client.js";
import type { ClientOptions, LlmClient } from "../llm/types.js";
import { UsageError } from "./io.js";
import { parseRetries } from "./llm-flags.js";

/** The LLM client the flags of clientFlags (src/cli/llm-flags.ts) describe; a bad key setting is a usage error. */
export function makeClient(endpoint: string, flags: Record<string, unknown>, concurrency: number, extra: Partial<ClientOptions> = {}): LlmClient {
  const maxRetries = flags.retries === undefined ? {} : { maxRetries: parseRetries(flags.retries) };
  try {
    return createClient({
      endpoint,
      concurrency,
      ...maxRetries,
      ...(flags.apiKeyEnv ? { apiKeyEnv: String(flags.apiKeyEnv) } : {}),
      ...(flags.apiKeyFile ? { apiKeyFile: String(flags.apiKeyFile) } : {}),
      ...(flags.cache === false ? {} : { cacheDir: String(flags.cache) }),
      ...extra,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}
