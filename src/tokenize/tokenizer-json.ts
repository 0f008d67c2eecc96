import { notATokenizer } from "./errors.js";

/** The parts of a Hugging Face tokenizer.json that acc reads itself (the rest goes to the backend as-is). */
export interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
  normalized?: boolean;
}

export interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  normalizer?: { type?: string } | null;
  pre_tokenizer?: PreTokenizerJson | null;
  decoder?: { type?: string } | null;
  model?: {
    type?: string;
    vocab?: Record<string, number> | unknown;
    merges?: (string | [string, string])[];
    dropout?: number | null;
    byte_fallback?: boolean;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
  };
}

export interface PreTokenizerJson {
  type?: string;
  pretokenizers?: PreTokenizerJson[];
  pattern?: { Regex?: string; String?: string };
  behavior?: string;
  invert?: boolean;
  add_prefix_space?: boolean;
  use_regex?: boolean;
}

/** Checks the shape acc relies on; `where` names the file in the error. */
export function asTokenizerJson(value: unknown, where: string): TokenizerJson {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw notATokenizer(`${where}: not a tokenizer.json (expected a JSON object)`);
  const json = value as TokenizerJson;
  if (typeof json.model !== "object" || json.model === null) throw notATokenizer(`${where}: not a tokenizer.json (no "model" object)`);
  if (json.added_tokens !== undefined) {
    if (!Array.isArray(json.added_tokens)) throw notATokenizer(`${where}: "added_tokens" is not a list`);
    json.added_tokens.forEach((token, index) => {
      if (typeof token?.content !== "string" || !Number.isInteger(token?.id)) {
        throw notATokenizer(`${where}: added_tokens[${index}] needs a string "content" and an integer "id"`);
      }
    });
  }
  return json;
}
