import type { Importer } from "./types.js";
import { openaiChatImporter } from "./openai-chat.js";
import { tauBenchImporter } from "./tau-bench.js";

/** Every importer, in the order that breaks detection ties (more specific formats first). */
export const importers: readonly Importer[] = [
  tauBenchImporter,
  openaiChatImporter,
];

export function importerFor(format: string): Importer | undefined {
  return importers.find((importer) => importer.format === format);
}
