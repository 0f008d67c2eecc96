import { availableParallelism } from "node:os";
import { loadOpenAiEncoding } from "../tokenize/openai.js";
import { TokenizerPool } from "../tokenize/pool.js";
import type { Tokenizer } from "../tokenize/types.js";

let loading: Promise<Tokenizer> | undefined;

/** o200k_base, the encoding MRCR bins are counted with (loaded once per process). */
export function o200k(): Promise<Tokenizer> {
  loading ??= loadOpenAiEncoding("o200k_base");
  return loading;
}

/**
 * Tokens of `texts`, summed: the MRCR card counts each message's content on its own, with no
 * chat-template overhead; special-token-looking text counts as plain text.
 */
export function countTokens(tokenizer: Pick<Tokenizer, "count">, texts: readonly string[]): number {
  let total = 0;
  for (const text of texts) total += tokenizer.count(text);
  return total;
}

/** Counts the o200k_base tokens of an item's context texts (see countTokens). */
export interface TokenCounter {
  count(texts: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

export function inProcessCounter(): TokenCounter {
  return {
    count: async (texts) => countTokens(await o200k(), texts),
    close: async () => {},
  };
}

/**
 * Counting on worker threads, so that a multi-megabyte prompt never stalls the requests in flight and
 * counting uses the cores the event loop does not. One worker per spare core, at most 4.
 */
export function workerCounter(workers = Math.min(4, availableParallelism() - 1)): TokenCounter {
  if (workers < 1) return inProcessCounter();
  const pool = new TokenizerPool("o200k_base", workers);
  return {
    count: async (texts) => (await pool.count(texts)).reduce((sum, n) => sum + n, 0),
    close: () => pool.close(),
  };
}
