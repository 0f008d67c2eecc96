import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { fileURLToPath } from "node:url";
import { RankTable, rankTableBytes, RankTableError, type RankTableMeta } from "./rank-table.js";

/**
 * Where `npm run build` writes the bundled tokenizers' rank tables (scripts/build-rank-tables.mjs; not in
 * git): assets/rank-tables, found from src/tokenize (tests, tsx) and dist/tokenize (the package) alike.
 */
export const RANK_TABLES_DIR = fileURLToPath(new URL("../../assets/rank-tables/", import.meta.url));

/** A bundled tokenizer's rank text and the meta its table records. */
export interface RankSource {
  ranks: string;
  meta: RankTableMeta;
}

/**
 * The bundled tokenizer `name`'s rank table: its file when that is whole and made from the source whose
 * sha256 is `sourceSha256`, else (no build, a damaged or stale file) the same table built in memory from
 * `source()`, which costs 36–92 CPU-ms more but gives the same ids.
 */
export async function bundledRankTable(name: string, sourceSha256: string, source: () => Promise<RankSource> | RankSource): Promise<RankTable> {
  const stored = await rankTableFile(`${RANK_TABLES_DIR}${name}.bin`, sourceSha256);
  if (stored !== undefined) return stored;
  const { ranks, meta } = await source();
  return RankTable.read(rankTableBytes(ranks, meta), sourceSha256);
}

/** The table in the file at `path` when it is whole and made from the source whose sha256 is `sourceSha256`; else undefined. */
export async function rankTableFile(path: string, sourceSha256: string): Promise<RankTable | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined; // not built: the table is built in memory
  }
  try {
    return RankTable.read(bytes, sourceSha256);
  } catch (error) {
    if (error instanceof RankTableError) return undefined; // damaged or stale: built in memory instead
    throw error;
  }
}

/**
 * Writes `name`'s table from `source` unless the file already holds those bytes; returns whether it wrote.
 * The file is written beside and renamed, so a process loading it meanwhile reads the old or the new whole.
 */
export async function writeRankTable(name: string, source: RankSource): Promise<boolean> {
  const path = `${RANK_TABLES_DIR}${name}.bin`;
  const bytes = rankTableBytes(source.ranks, source.meta);
  const existing = await readFile(path).catch(() => undefined);
  if (existing?.equals(bytes)) return false;
  await makeDirectory(RANK_TABLES_DIR);
  const temporary = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return true;
}
