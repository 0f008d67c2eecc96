import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import type { TokenizerConfig, TokenizerJson } from "./tokenizer-json.js";
import type { TokenCodec } from "./tokenizer.js";

/**
 * Any tokenizer.json through @huggingface/tokenizers (pure JavaScript, an independent implementation of
 * the Rust library): the fallback for tokenizers the tiktoken route cannot run exactly
 * (SentencePiece/Unigram, WordPiece, other normalizers and pre-tokenizers).
 */
export class HfTokenizersCodec implements TokenCodec {
  private readonly tokenizer: HfTokenizer;

  constructor(json: TokenizerJson, config: TokenizerConfig) {
    this.tokenizer = new HfTokenizer(json, config);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  count(text: string): number {
    return this.encode(text).length;
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  isKnownId(id: number): boolean {
    return Number.isInteger(id) && this.tokenizer.id_to_token(id) !== undefined;
  }
}
