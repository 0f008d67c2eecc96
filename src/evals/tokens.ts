import { loadOpenAiEncoding } from "../tokenize/openai.js";
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
