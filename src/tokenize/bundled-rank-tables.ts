import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { OPENAI_ENCODINGS, openAiEncodingPath, openAiRankSource } from "./openai.js";
import { qwen3RankSource } from "./qwen3.js";
import { type RankSource, writeRankTable } from "./rank-table-files.js";

/** The bundled tokenizers' rank sources, by the name of their table. */
export async function bundledRankSources(): Promise<Map<string, RankSource>> {
  const sources = new Map<string, RankSource>();
  for (const name of OPENAI_ENCODINGS) {
    const bytes = readFileSync(openAiEncodingPath(name));
    sources.set(name, openAiRankSource(bytes, createHash("sha256").update(bytes).digest("hex")));
  }
  sources.set("qwen3", await qwen3RankSource());
  return sources;
}

/** Writes the bundled tokenizers' rank tables (those not already up to date); returns the names written. Run by `npm run build`. */
export async function writeBundledRankTables(): Promise<string[]> {
  const written: string[] = [];
  for (const [name, source] of await bundledRankSources()) if (await writeRankTable(name, source)) written.push(name);
  return written;
}
