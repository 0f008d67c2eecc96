import type { Tokenizer } from "../tokenize/types.js";
import type { TokenRow } from "./token-rows.js";

/** The added token that opens every message in ChatML templates (Qwen2.5, Qwen3, Hermes). */
export const MESSAGE_START = "<|im_start|>";

/**
 * `--max-tokens N`: a row longer than N tokens is cut into consecutive pieces of at most N tokens,
 * only where a message starts (a `<|im_start|>` token), never inside a message; each piece is as long
 * as fits. Pieces are slices of the row, so their trained tokens, put together, are the row's. A piece
 * with no trained token is dropped. A single message longer than N cannot be cut: the reason says which.
 */
export function splitRow(row: TokenRow, maxTokens: number, tokenizer: Tokenizer): { ok: true; rows: TokenRow[] } | { ok: false; reason: string } {
  const ids = [...row.prompt_ids, ...row.response_ids];
  if (ids.length <= maxTokens) return { ok: true, rows: [row] };
  const start = tokenizer.specialTokens.all.get(MESSAGE_START);
  if (start === undefined) return { ok: false, reason: `--max-tokens cuts rows where a message starts, at ${MESSAGE_START} tokens, and ${tokenizer.name} has no such token` };
  const mask = [...row.prompt_ids.map(() => 0), ...row.response_mask];
  const logprobs = row.response_logprobs === null ? null : [...row.prompt_ids.map(() => 0), ...row.response_logprobs];
  const boundaries = [...ids.flatMap((id, k) => (id === start && k > 0 ? [k] : [])), ids.length];
  const rows: TokenRow[] = [];
  let from = 0;
  while (from < ids.length) {
    const to = boundaries.filter((b) => b > from && b - from <= maxTokens).at(-1);
    if (to === undefined) {
      const next = boundaries.find((b) => b > from)!;
      return { ok: false, reason: `the message at token ${from} is ${next - from} tokens, over --max-tokens ${maxTokens} (rows are cut only between messages)` };
    }
    const pieceMask = mask.slice(from, to);
    const first = pieceMask.indexOf(1);
    if (first !== -1) {
      rows.push({
        ...row,
        prompt_ids: ids.slice(from, from + first),
        response_ids: ids.slice(from + first, to),
        response_mask: pieceMask.slice(first),
        response_logprobs: logprobs === null ? null : logprobs.slice(from + first, to),
      });
    }
    from = to;
  }
  return { ok: true, rows };
}
