import { existsSync, statSync } from "node:fs";
import { loadOpenAiEncoding, OPENAI_ENCODINGS, type OpenAiEncoding } from "./openai.js";
import type { Tokenizer } from "./types.js";
import { notATokenizer } from "./errors.js";

/** Names `resolveTokenizer` knows without a directory. */
export const BUNDLED_TOKENIZERS = ["qwen3", ...OPENAI_ENCODINGS] as const;

/**
 * What `--tokenizer <spec>` means: `qwen3` (bundled, the default), `o200k_base` / `cl100k_base`, or a
 * path to a Hugging Face tokenizer directory. A bare name wins over a directory of the same name;
 * write `./qwen3` for the directory. The tokenizer.json reader (and its chat templates) is imported only when
 * used: a thread that counts o200k_base tokens, as each `acc eval` run's counting worker does, starts
 * without loading it.
 */
export async function resolveTokenizer(spec: string): Promise<Tokenizer> {
  if (spec === "qwen3") return (await import("./qwen3.js")).loadQwen3();
  if ((OPENAI_ENCODINGS as readonly string[]).includes(spec)) return loadOpenAiEncoding(spec as OpenAiEncoding);
  if (existsSync(spec) && statSync(spec).isDirectory()) return (await import("./hf-dir.js")).loadTokenizer(spec);
  throw notATokenizer(`tokenizer "${spec}": not one of ${BUNDLED_TOKENIZERS.join(", ")} and not a directory with a tokenizer.json`);
}
