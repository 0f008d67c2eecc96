import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { TiktokenCodec } from "./tiktoken-bpe.js";
import { LoadedTokenizer } from "./tokenizer.js";
import type { Tokenizer } from "./types.js";

/** The OpenAI encodings acc offers (shipped inside the tiktoken package, so offline). */
export const OPENAI_ENCODINGS = ["o200k_base", "cl100k_base"] as const;
export type OpenAiEncoding = (typeof OPENAI_ENCODINGS)[number];

const require = createRequire(import.meta.url);

/**
 * An OpenAI encoding through tiktoken. Text is encoded as ordinary text: `<|endoftext|>` in the input
 * counts as the characters it is made of, as with message content sent to the OpenAI API (and as the
 * MRCR card counts). There is no chat template.
 */
export async function loadOpenAiEncoding(name: OpenAiEncoding): Promise<Tokenizer> {
  const path = require.resolve(`tiktoken/encoders/${name}.json`);
  const bytes = await readFile(path);
  const { bpe_ranks, special_tokens, pat_str } = JSON.parse(bytes.toString("utf8")) as {
    bpe_ranks: string;
    special_tokens: Record<string, number>;
    pat_str: string;
  };
  const specialTokens = new Map(Object.entries(special_tokens));
  const codec = new TiktokenCodec({ ranks: bpe_ranks, pattern: pat_str, specialTokens, splitAddedTokens: false, nfc: false });
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return new LoadedTokenizer({ name, backend: "tiktoken", sha256 }, codec, { all: specialTokens });
}
