import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadStoredRanks, type StoredRanks } from "./hf-dir.js";
import { bundledRankTable, type RankSource } from "./rank-table-files.js";
import type { Tokenizer } from "./types.js";
import { damagedBundle } from "./errors.js";
import { QWEN3_CHAT_TEMPLATE_SHA256 } from "./qwen3-turns.js";

/** assets/tokenizers/qwen3, from src/tokenize (tests, tsx) and from dist/tokenize (the package) alike. */
export const QWEN3_DIR = fileURLToPath(new URL("../../assets/tokenizers/qwen3/", import.meta.url));

/** sha256 of Qwen3's official tokenizer.json (Qwen/Qwen3-0.6B … 30B-A3B); see the folder's README. */
export const QWEN3_TOKENIZER_SHA256 = "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4";

export { QWEN3_CHAT_TEMPLATE_SHA256 };

/**
 * tokenizer.json converted to tiktoken ranks, stored beside it (`npm run tokenizers:ranks` writes it;
 * test/tokenize/load.test.ts checks it is the conversion of the pinned tokenizer.json): what is loaded.
 */
export const QWEN3_RANKS_FILE = "tokenizer.tiktoken.json.gz";

/** sha256 of the uncompressed QWEN3_RANKS_FILE. */
export const QWEN3_RANKS_SHA256 = "50332ef8af258753506dec69fac099db60fdc9bf32d72bf96e05a9c9c802d7df";

/** The stored ranks, refused when their hash is not the pinned one. */
export async function qwen3RankSource(): Promise<RankSource> {
  const path = `${QWEN3_DIR}${QWEN3_RANKS_FILE}`;
  const bytes = gunzipSync(await readFile(path));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== QWEN3_RANKS_SHA256) throw damagedBundle(`${path}: sha256 ${sha256} is not the pinned ${QWEN3_RANKS_SHA256}; the bundled file is damaged (reinstall acc)`);
  const { ranks, pattern, nfc } = JSON.parse(bytes.toString("utf8")) as StoredRanks;
  return { ranks, meta: { sourceSha256: sha256, pattern, nfc, specialTokens: {} } };
}

/**
 * The bundled Qwen3 tokenizer with its official chat template: offline, exact (tiktoken's BPE over the
 * rank table of the converted ranks), refusing to load a file whose hash is not the pinned one.
 */
export async function loadQwen3(): Promise<Tokenizer> {
  const table = await bundledRankTable("qwen3", QWEN3_RANKS_SHA256, qwen3RankSource);
  const tokenizer = await loadStoredRanks(QWEN3_DIR, table, { name: "qwen3", tokenizerSha256: QWEN3_TOKENIZER_SHA256 });
  if (tokenizer.info.chatTemplateSha256 !== QWEN3_CHAT_TEMPLATE_SHA256) {
    throw damagedBundle(`${QWEN3_DIR}tokenizer_config.json: the chat template is not the pinned Qwen3 template; the bundled file is damaged (reinstall acc)`);
  }
  return tokenizer;
}
