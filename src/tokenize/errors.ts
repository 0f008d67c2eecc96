import { AccError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";

/** A tokenizer that cannot be loaded: a folder `--tokenizer` names that holds none, or a damaged bundled file. */
export class TokenizerError extends AccError {
  override name = "TokenizerError";
}

/** The tokenizer `--tokenizer` names is not one: exit 2, with what the flag takes. */
export function notATokenizer(message: string, cause?: unknown): TokenizerError {
  return new TokenizerError(message, {
    code: "tokenizer",
    fix: "give --tokenizer qwen3, o200k_base, cl100k_base, or a folder holding a Hugging Face tokenizer.json (and its tokenizer_config.json)",
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A file acc ships is not what it pinned: exit 1, the message says to reinstall. */
export function damagedBundle(message: string): TokenizerError {
  return new TokenizerError(message, { code: "tokenizer-damaged" });
}

/**
 * A chat template failed on a conversation: `raise_exception(...)` (the template rejected it), an error
 * while rendering, or a template that cannot render the conversation the way the caller needs.
 */
export class ChatTemplateError extends AccError {
  override name = "ChatTemplateError";
  protected override defaultCode(): ErrorCode {
    return "chat-template";
  }
}
