// Run by `npm run build` (after tsc) and scripts/build-package.mjs: writes the bundled tokenizers' rank
// tables into assets/rank-tables (src/tokenize/rank-table.ts; not in git), where src/ and dist/ both find
// them. Each table records the sha256 of the ranks it was made from; a table already up to date is left.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Writes the tables with the code of the built `dist` folder. */
export async function buildRankTables(dist) {
  const { writeBundledRankTables } = await import(pathToFileURL(join(dist, "tokenize/bundled-rank-tables.js")).href);
  return writeBundledRankTables();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const written = await buildRankTables(join(import.meta.dirname, "../dist"));
  if (written.length > 0) console.log(`rank tables written: ${written.join(", ")}`);
}
