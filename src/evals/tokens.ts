import { get_encoding, type Tiktoken } from "tiktoken";

let encoding: Tiktoken | undefined;

/**
 * o200k_base tokens of `texts`, summed (the MRCR card counts each message's content on its own, with
 * no chat-template overhead). Text that looks like a special token is counted as plain text.
 */
export function countO200k(texts: readonly string[]): number {
  encoding ??= get_encoding("o200k_base");
  let total = 0;
  for (const text of texts) total += encoding.encode(text, [], []).length;
  return total;
}
