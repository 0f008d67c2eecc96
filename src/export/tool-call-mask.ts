import type { Tokenizer } from "../tokenize/types.js";
import type { TokenRow } from "./token-rows.js";
import { TokenizerError } from "../tokenize/errors.js";

/** The added tokens that open and close a tool call in Qwen2.5/Qwen3 and Hermes-style chat templates. */
export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/**
 * `--mask-tool-args`: in the trained tokens of a row, every token from a `<tool_call>` token to the
 * next `</tool_call>` token, both included, is not trained: the call's name and arguments as the
 * model wrote them (or as the template rendered them). The turn's text, reasoning and end-of-turn
 * token stay trained. It works on ids, so the log's recorded ids and acc's rendering are masked alike;
 * it needs a tokenizer with both markers as added tokens (each one id), else it throws with why.
 * A call left open (no closing token before the end of the trained run) is untrained to the end of that run.
 */
export function maskToolCalls(row: TokenRow, tokenizer: Tokenizer): TokenRow {
  const open = tokenizer.specialTokens.all.get(TOOL_CALL_OPEN);
  const close = tokenizer.specialTokens.all.get(TOOL_CALL_CLOSE);
  if (open === undefined || close === undefined) {
    throw new TokenizerError(`--mask-tool-args needs ${TOOL_CALL_OPEN} and ${TOOL_CALL_CLOSE} as added tokens of the tokenizer (${tokenizer.name} has ${open === undefined ? "no " + TOOL_CALL_OPEN : "no " + TOOL_CALL_CLOSE}), to find where each tool call starts and ends`, { code: "tokenizer", flag: "--mask-tool-args" });
  }
  const mask = [...row.response_mask];
  let inCall = false;
  row.response_ids.forEach((id, k) => {
    if (!mask[k]) {
      inCall = false;
      return;
    }
    if (id === open) inCall = true;
    if (inCall) mask[k] = 0;
    if (id === close) inCall = false;
  });
  const response_logprobs = row.response_logprobs === null ? null : row.response_logprobs.map((p, k) => (mask[k] ? p : 0));
  return { ...row, response_mask: mask, response_logprobs };
}
