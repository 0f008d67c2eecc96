import { availableParallelism } from "node:os";
import { loadOpenAiEncoding } from "../tokenize/openai.js";
import { TokenizerPool } from "../tokenize/tokenizer-pool.js";
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
 * counting uses the cores the event loop does not. One worker per spare core, at most 4. Texts wait
 * while every worker is busy and then go together: the batches grow with the load, so the workers
 * are not left waiting for a round trip through the event loop per item.
 */
export function workerCounter(workers = Math.min(4, availableParallelism() - 1)): TokenCounter {
  if (workers < 1) return inProcessCounter();
  const pool = new TokenizerPool("o200k_base", workers);
  let waiting: { texts: readonly string[]; resolve: (tokens: number) => void; reject: (error: unknown) => void }[] = [];
  let batchesOut = 0;
  const send = () => {
    if (batchesOut >= workers || waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    batchesOut++;
    pool
      .count(batch.flatMap((entry) => entry.texts))
      .then(
        (counts) => {
          let next = 0;
          for (const entry of batch) {
            let total = 0;
            for (let i = 0; i < entry.texts.length; i++) total += counts[next++]!;
            entry.resolve(total);
          }
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      )
      .finally(() => {
        batchesOut--;
        send();
      });
  };
  return {
    count: (texts) =>
      new Promise((resolve, reject) => {
        // the rest of this turn's texts join the batch
        if (waiting.length === 0) setImmediate(send);
        waiting.push({ texts, resolve, reject });
      }),
    close: () => pool.close(),
  };
}
