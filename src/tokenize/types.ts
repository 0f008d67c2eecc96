/** The one tokenizer interface of acc: exact ids and counts, decoding, special tokens, chat template. */

/** A chat message as a chat template reads it; every field of the object reaches the template. */
export interface TemplateMessage {
  role: string;
  content?: unknown;
  reasoning_content?: unknown;
  tool_calls?: readonly unknown[];
  tool_call_id?: unknown;
  name?: unknown;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn (`add_generation_prompt`). Default false. */
  addGenerationPrompt?: boolean;
  /** Tool (function) definitions in the OpenAI shape, as the template's `tools`. */
  tools?: readonly unknown[];
  /** The template's `enable_thinking` (Qwen3); left undefined unless given. */
  enableThinking?: boolean;
  /** Further template variables, like transformers' `apply_chat_template(**kwargs)` (e.g. `documents`). */
  variables?: Readonly<Record<string, unknown>>;
}

export interface SpecialToken {
  text: string;
  id: number;
}

export interface SpecialTokens {
  /** Every added token (chat markers, `<think>`, …) by its text. */
  all: ReadonlyMap<string, number>;
  bos?: SpecialToken;
  eos?: SpecialToken;
  pad?: SpecialToken;
  unk?: SpecialToken;
}

/**
 * - `tiktoken-ranks`: a byte-level BPE tokenizer.json run by tiktoken with its merges converted to ranks
 * - `hf-tokenizers`: @huggingface/tokenizers, for tokenizer.json files the rank conversion cannot take
 * - `tiktoken`: an OpenAI encoding shipped with the tiktoken package
 */
export type TokenizerBackend = "tiktoken-ranks" | "hf-tokenizers" | "tiktoken";

/** What a sample's metadata should record to say exactly which tokenizer counted it. */
export interface TokenizerInfo {
  name: string;
  backend: TokenizerBackend;
  /** sha256 of the vocabulary file (tokenizer.json, or the tiktoken encoding's file). */
  sha256: string;
  /** sha256 of the chat template source, when there is one. */
  chatTemplateSha256?: string;
  /** Why a tokenizer.json was not run through tiktoken (only with `hf-tokenizers`). */
  fallbackReason?: string;
}

export interface Tokenizer {
  readonly name: string;
  readonly info: TokenizerInfo;
  readonly specialTokens: SpecialTokens;
  readonly hasChatTemplate: boolean;
  /**
   * Token ids of `text`, with no BOS/EOS added. Hugging Face tokenizers recognise their added tokens
   * in the text (as `tokenizer(text)` and `apply_chat_template(tokenize=True)` do); OpenAI encodings
   * treat special-token-looking text as plain text (as the OpenAI API does with message content).
   */
  encode(text: string): number[];
  /** `encode(text).length`, without building the array. */
  count(text: string): number;
  /** The text of `ids`, special tokens included; bytes that do not form UTF-8 become U+FFFD. */
  decode(ids: readonly number[]): string;
  /** The chat template rendered to text (throws when the tokenizer has none). */
  applyChatTemplate(messages: readonly TemplateMessage[], options?: ChatTemplateOptions): string;
  /**
   * For many renders of one conversation's prefixes: `chatTemplatePrefixes(messages, options)(end, g)`
   * equals `applyChatTemplate(messages.slice(0, end), { ...options, addGenerationPrompt: g })`, with the
   * messages and tools read once.
   */
  chatTemplatePrefixes(messages: readonly TemplateMessage[], options?: ChatTemplateOptions): (end: number, addGenerationPrompt: boolean) => string;
  /** Where the turns of one conversation start in its renderings, to mask them (see ChatTurns). */
  chatTemplateTurns(messages: readonly TemplateMessage[], options?: ChatTemplateOptions): ChatTurns;
}

/** One conversation's renderings and where its turns start in them; each rendering is made once. */
export interface ChatTurns {
  /** The messages before `end` rendered, without the generation prompt. */
  render(end: number): string;
  /**
   * Where message `i` starts in `render(end)`: the length of the messages before `i` rendered with the
   * generation prompt, when that rendering is the start of `render(end)`; undefined when it is not (the
   * template renders earlier turns differently once later turns follow).
   */
  turnStart(end: number, i: number): number | undefined;
}
