import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
// @ts-expect-error: a plain ESM script of the build, without types
import { writeValidators } from "../../scripts/build-validators.mjs";
// @ts-expect-error: a plain ESM script of the build, without types
import { bundleCli } from "../../scripts/bundle-cli.mjs";

const ROOT = join(import.meta.dirname, "../..");

/**
 * The package as `npm run build` would make it, in `dir` (dist/, assets/, its package.json; node_modules
 * linked to the checkout's), transpiled by esbuild: a folder that resolves as `agent-context-compiler`
 * when it is `node_modules/agent-context-compiler` of a project.
 */
export async function buildPackage(dir: string): Promise<void> {
  const src = join(ROOT, "src");
  const entryPoints = (readdirSync(src, { recursive: true }) as string[]).filter((path) => path.endsWith(".ts")).map((path) => join(src, path));
  await build({ entryPoints, outdir: join(dir, "dist"), outbase: src, format: "esm", platform: "node", target: "node20", logLevel: "error" });
  for (const name of ["assets", "node_modules"]) symlinkSync(join(ROOT, name), join(dir, name));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  await writeValidators(join(dir, "dist"));
  await bundleCli(join(dir, "dist"));
}

/**
 * The CLI as `npm run build` would make it, transpiled by esbuild into `dir` in a few seconds (tsc
 * takes minutes here; tsx costs every process and worker thread seconds). Returns the folder holding
 * an `acc` script, to put first on PATH.
 */
export async function buildCli(dir: string): Promise<string> {
  await buildPackage(dir);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "acc"), `#!/bin/sh\nexec "${process.execPath}" "${join(dir, "dist/cli/main.js")}" "$@"\n`);
  chmodSync(join(bin, "acc"), 0o755);
  return bin;
}
