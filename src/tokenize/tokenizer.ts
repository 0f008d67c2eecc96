import type { ChatTemplate } from "./chat-template.js";
import type { ChatTemplateOptions, ChatTurns, SpecialTokens, TemplateMessage, Tokenizer, TokenizerInfo } from "./types.js";
import { TokenizerError } from "./errors.js";
import { AccError } from "../errors/acc-error.js";

/** The encoding half of a tokenizer; a backend implements this. */
export interface TokenCodec {
  encode(text: string): number[];
  count(text: string): number;
  /** The text of `ids`; every id is known (checked by the caller). */
  decode(ids: readonly number[]): string;
  isKnownId(id: number): boolean;
}

/** A tokenizer's chat templates: one, or transformers' named pair where `tool_use` serves calls with tools. */
export interface ChatTemplates {
  default?: ChatTemplate | undefined;
  toolUse?: ChatTemplate | undefined;
}

/** A codec with its identity, special tokens and chat templates: the `Tokenizer` acc uses. */
export class LoadedTokenizer implements Tokenizer {
  readonly name: string;

  constructor(
    readonly info: TokenizerInfo,
    private readonly codec: TokenCodec,
    readonly specialTokens: SpecialTokens,
    private readonly templates: ChatTemplates = {},
  ) {
    this.name = info.name;
  }

  get hasChatTemplate(): boolean {
    return this.templates.default !== undefined || this.templates.toolUse !== undefined;
  }

  encode(text: string): number[] {
    return this.codec.encode(text);
  }

  count(text: string): number {
    return this.codec.count(text);
  }

  decode(ids: readonly number[]): string {
    const unknown = ids.find((id) => !this.codec.isKnownId(id));
    if (unknown !== undefined) throw new AccError(`${this.name}: token id ${unknown} is not in the vocabulary`, { code: "wrong-shape" });
    return this.codec.decode(ids);
  }

  applyChatTemplate(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): string {
    return this.template(options).render(messages, options);
  }

  chatTemplatePrefixes(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): (end: number, addGenerationPrompt: boolean) => string {
    return this.template(options).prefixes(messages, options);
  }

  chatTemplateTurns(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): ChatTurns {
    return this.template(options).turns(messages, options);
  }

  private template(options: ChatTemplateOptions): ChatTemplate {
    const template = (options.tools !== undefined ? this.templates.toolUse : undefined) ?? this.templates.default;
    if (template === undefined) {
      throw new TokenizerError(this.hasChatTemplate ? `${this.name} has only a tool_use chat template; pass tools` : `${this.name} has no chat template`, { code: "tokenizer" });
    }
    return template;
  }
}
