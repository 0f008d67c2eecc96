import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { RankTableCodec } from "./rank-table-codec.js";
import { bundledRankTable, type RankSource } from "./rank-table-files.js";
import { LoadedTokenizer } from "./tokenizer.js";
import type { Tokenizer } from "./types.js";

/** The OpenAI encodings acc offers (shipped inside the tiktoken package, so offline). */
export const OPENAI_ENCODINGS = ["o200k_base", "cl100k_base"] as const;
export type OpenAiEncoding = (typeof OPENAI_ENCODINGS)[number];

const require = createRequire(import.meta.url);

/** The tiktoken package's file of an encoding: the source of its ranks. */
export function openAiEncodingPath(name: OpenAiEncoding): string {
  return require.resolve(`tiktoken/encoders/${name}.json`);
}

/** An encoding's ranks and settings, from its file's bytes. */
export function openAiRankSource(bytes: Uint8Array, sha256: string): RankSource {
  const { bpe_ranks, special_tokens, pat_str } = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
    bpe_ranks: string;
    special_tokens: Record<string, number>;
    pat_str: string;
  };
  return { ranks: bpe_ranks, meta: { sourceSha256: sha256, pattern: pat_str, nfc: false, specialTokens: special_tokens } };
}

/**
 * An OpenAI encoding, over its rank table (built from the tiktoken package's file; the table's file when
 * `npm run build` made it for this file). Text is encoded as ordinary text: `<|endoftext|>` in the input
 * counts as the characters it is made of, as with message content sent to the OpenAI API (and as the
 * MRCR card counts). There is no chat template.
 */
export async function loadOpenAiEncoding(name: OpenAiEncoding): Promise<Tokenizer> {
  const bytes = await readFile(openAiEncodingPath(name));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const table = await bundledRankTable(name, sha256, () => openAiRankSource(bytes, sha256));
  const specialTokens = new Map(Object.entries(table.meta.specialTokens));
  const codec = new RankTableCodec(table, { specialTokens, splitAddedTokens: false });
  return new LoadedTokenizer({ name, backend: "tiktoken", sha256 }, codec, { all: specialTokens });
}
