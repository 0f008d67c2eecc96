import { z } from "zod";
import { isRecord } from "../json.js";
import { formatProblems, validate } from "../records/validate.js";
import { notATokenizer } from "./errors.js";

// The files of a Hugging Face tokenizer folder a user names with --tokenizer, checked against lenient schemas
// of the fields acc reads itself (every other field passes as it is, for the backend). hf-dir.ts loads this
// module only for such a folder: the bundled Qwen3 loads without zod (acc eval loads no zod).

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
  model: {
    type?: string;
    /** token → id (BPE, WordPiece, WordLevel) or [piece, score] pairs (Unigram) */
    vocab?: Record<string, number> | [string, number][];
    merges?: (string | [string, string])[];
    dropout?: number | null;
    byte_fallback?: boolean | null;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    [field: string]: unknown;
  };
  [field: string]: unknown;
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

/** A token named in tokenizer_config.json: its text, a serialised AddedToken (`{content, …}`) or null. */
export type ConfigToken = string | { content: string } | null;

/** The fields of tokenizer_config.json that acc reads (special tokens, chat templates); the rest reach the backend as they are. */
export interface TokenizerConfig {
  bos_token?: ConfigToken;
  eos_token?: ConfigToken;
  pad_token?: ConfigToken;
  unk_token?: ConfigToken;
  additional_special_tokens?: ConfigToken[] | null;
  added_tokens_decoder?: Record<string, { content: string }>;
  chat_template?: string | { name: string; template: string }[] | null;
  [field: string]: unknown;
}

const Typed = z.looseObject({ type: z.string().optional() }).nullish();

const AddedToken = z.looseObject({
  id: z.int(),
  content: z.string(),
  special: z.boolean().optional(),
  lstrip: z.boolean().optional(),
  rstrip: z.boolean().optional(),
  single_word: z.boolean().optional(),
  normalized: z.boolean().optional(),
});

const PreTokenizer: z.ZodType<PreTokenizerJson> = z.looseObject({
  type: z.string().optional(),
  get pretokenizers() {
    return z.array(PreTokenizer).optional();
  },
  pattern: z.looseObject({ Regex: z.string().optional(), String: z.string().optional() }).optional(),
  behavior: z.string().optional(),
  invert: z.boolean().optional(),
  add_prefix_space: z.boolean().optional(),
  use_regex: z.boolean().optional(),
});

// The two large collections (Qwen3: 151,643 tokens, 151,387 merges) are checked by a loop each: zod's record and
// array of unions cost ~140 ms and ~90 ms of CPU on Qwen3's, the loops ~40 ms and ~4 ms (measured).
const Vocab = z.custom<Record<string, number> | [string, number][]>(
  (value) => (Array.isArray(value) ? value.every((entry) => isPair(entry, "number")) : isRecord(value) && allNumbers(value)),
  "{token: id} or [[piece, score], …]",
);

/** for…in, not Object.values: half the CPU on a vocabulary of 151k keys (measured). */
function allNumbers(object: Record<string, unknown>): boolean {
  for (const key in object) if (typeof object[key] !== "number") return false;
  return true;
}

const Merges = z.custom<(string | [string, string])[]>(
  (value) => Array.isArray(value) && value.every((merge) => typeof merge === "string" || isPair(merge, "string")),
  '["left right", …] or [["left", "right"], …]',
);

function isPair(value: unknown, second: "number" | "string"): boolean {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === second;
}

const TokenizerJsonSchema: z.ZodType<TokenizerJson> = z.looseObject({
  added_tokens: z.array(AddedToken).optional(),
  normalizer: Typed,
  pre_tokenizer: PreTokenizer.nullish(),
  decoder: Typed,
  model: z.looseObject({
    type: z.string().optional(),
    vocab: Vocab.optional(),
    merges: Merges.optional(),
    dropout: z.number().nullish(),
    byte_fallback: z.boolean().nullish(),
    continuing_subword_prefix: z.string().nullish(),
    end_of_word_suffix: z.string().nullish(),
  }),
});

const Token = z.union([z.string(), z.looseObject({ content: z.string() }), z.null()]);

const TokenizerConfigSchema: z.ZodType<TokenizerConfig> = z.looseObject({
  bos_token: Token.optional(),
  eos_token: Token.optional(),
  pad_token: Token.optional(),
  unk_token: Token.optional(),
  additional_special_tokens: z.array(Token).nullish(),
  added_tokens_decoder: z.record(z.string().regex(/^\d+$/), z.looseObject({ content: z.string() })).optional(),
  chat_template: z.union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() })), z.null()]).optional(),
});

/** A parsed tokenizer.json, checked; `where` names the file in the one-line error. */
export function asTokenizerJson(value: unknown, where: string): TokenizerJson {
  return checked(TokenizerJsonSchema, value, `${where}: not a tokenizer.json`);
}

/** A parsed tokenizer_config.json, checked; `where` names the file in the one-line error. */
export function asTokenizerConfig(value: unknown, where: string): TokenizerConfig {
  return checked(TokenizerConfigSchema, value, `${where}: not a tokenizer_config.json`);
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = validate(schema, value);
  if (result.ok) return value as T; // as parsed: zod's copy would reorder the keys the backend reads
  // the first problem only: a vocabulary of the wrong kind has one per token
  const more = result.problems.length - 1;
  throw notATokenizer(`${what}: ${formatProblems(result.problems.slice(0, 1))}${more > 0 ? ` (and ${more} more)` : ""}`);
}
