import { fileURLToPath } from "node:url";
import { loadPinnedTokenizer } from "./hf-dir.js";
import type { Tokenizer } from "./types.js";

/** assets/tokenizers/qwen3, from src/tokenize (tests, tsx) and from dist/tokenize (the package) alike. */
export const QWEN3_DIR = fileURLToPath(new URL("../../assets/tokenizers/qwen3/", import.meta.url));

/** sha256 of Qwen3's official tokenizer.json (Qwen/Qwen3-0.6B … 30B-A3B); see the folder's README. */
export const QWEN3_TOKENIZER_SHA256 = "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4";

/** sha256 of Qwen3-0.6B's published chat template (4,168 bytes). */
export const QWEN3_CHAT_TEMPLATE_SHA256 = "a55ee1b1660128b7098723e0abcd92caa0788061051c62d51cbe87d9cf1974d8";

/**
 * The bundled Qwen3 tokenizer with its official chat template: offline, exact (tiktoken with the
 * converted ranks), refusing to load a file whose hash is not the pinned one.
 */
export async function loadQwen3(): Promise<Tokenizer> {
  const tokenizer = await loadPinnedTokenizer(QWEN3_DIR, { name: "qwen3", sha256: QWEN3_TOKENIZER_SHA256 });
  if (tokenizer.info.chatTemplateSha256 !== QWEN3_CHAT_TEMPLATE_SHA256) {
    throw new Error(`${QWEN3_DIR}tokenizer_config.json: the chat template is not the pinned Qwen3 template; the bundled file is damaged (reinstall acc)`);
  }
  return tokenizer;
}
