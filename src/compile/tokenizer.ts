import { resolveTokenizer } from "../tokenize/resolve.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { PromptTokenizer } from "./pack.js";
import { TokenizerError } from "../tokenize/errors.js";

const CONTENT_MARK = "ACC_CONTENT_MARK_7f3a9c";

/**
 * The tokenizer as packing sees it. With a chat template, the budget counts the whole rendered
 * prompt (template text around the user turn and the generation prompt included); without one (the
 * OpenAI encodings), the user content alone. Byte-level BPE backends split at the places render.ts
 * puts part boundaries, so counting parts is exact; the @huggingface/tokenizers fallback may not, so
 * its prompts are re-counted whole.
 */
export function promptTokenizer(tokenizer: Tokenizer): PromptTokenizer {
  let frame: readonly [string, string] = ["", ""];
  if (tokenizer.hasChatTemplate) {
    const rendered = tokenizer.applyChatTemplate([{ role: "user", content: CONTENT_MARK }], { addGenerationPrompt: true });
    const [before, after, ...rest] = rendered.split(CONTENT_MARK);
    if (before === undefined || after === undefined || rest.length > 0) {
      throw new TokenizerError(`tokenizer ${tokenizer.name}: its chat template does not place the user content verbatim once`, { code: "tokenizer" });
    }
    frame = [before, after];
  }
  return {
    name: tokenizer.name,
    count: (text) => tokenizer.count(text),
    userTurnFrame: frame,
    countsAddUp: tokenizer.info.backend !== "hf-tokenizers",
  };
}

export async function loadPromptTokenizer(spec: string): Promise<PromptTokenizer> {
  return promptTokenizer(await resolveTokenizer(spec));
}
