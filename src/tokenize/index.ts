export type * from "./types.js";
export { ChatTemplateError } from "./errors.js";
export { loadTokenizer, type LoadOptions } from "./hf-dir.js";
export { loadQwen3, QWEN3_DIR, QWEN3_TOKENIZER_SHA256, QWEN3_CHAT_TEMPLATE_SHA256 } from "./qwen3.js";
export { loadOpenAiEncoding, OPENAI_ENCODINGS, type OpenAiEncoding } from "./openai.js";
export { resolveTokenizer, BUNDLED_TOKENIZERS } from "./resolve.js";
export { TokenizerPool } from "./tokenizer-pool.js";
export { measureEncodeThroughput, type EncodeThroughput } from "./throughput.js";
