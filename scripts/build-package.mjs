// The package as `npm run build` makes it, transpiled by esbuild in a few seconds (tsc takes minutes
// here): dist/ (per-file modules, the prebuilt validators, the bundled CLI), assets/ (with the rank tables) and node_modules linked
// to the checkout's, its package.json, and bin/acc. scripts/run-tests.mjs builds it once per run for the
// tests that run acc as a separate process (test/helpers/built-cli.ts), from the current src/.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { bundleCli } from "./bundle-cli.mjs";
import { writeValidators } from "./build-validators.mjs";
import { buildRankTables } from "./build-rank-tables.mjs";

const ROOT = join(import.meta.dirname, "..");

/**
 * Builds the package into `dir`: a folder that resolves as `agent-context-compiler` when it is (or is linked
 * as) `node_modules/agent-context-compiler` of a project, with `bin/acc` to put first on PATH.
 */
export async function buildPackage(dir) {
  const src = join(ROOT, "src");
  const entryPoints = readdirSync(src, { recursive: true })
    .filter((path) => path.endsWith(".ts"))
    .map((path) => join(src, path));
  await build({ entryPoints, outdir: join(dir, "dist"), outbase: src, format: "esm", platform: "node", target: "node20", logLevel: "error" });
  for (const name of ["assets", "node_modules"]) symlinkSync(join(ROOT, name), join(dir, name));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  await writeValidators(join(dir, "dist"));
  await bundleCli(join(dir, "dist"));
  // into the checkout's assets/ (linked above), where src/ finds them too: the tests load the tables, not the rank text
  await buildRankTables(join(dir, "dist"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin/acc"), `#!/bin/sh\nexec "${process.execPath}" "${join(dir, "dist/cli/main.js")}" "$@"\n`);
  chmodSync(join(dir, "bin/acc"), 0o755);
}
