// Module hooks that run the TypeScript sources (src/, test/) with one esbuild transform per file, as tsx
// does, without its cost in every process (its loader, its cache, its CommonJS support; session 7 measured
// 0.5-1.3 CPU-s less per test file). Registered by scripts/ts-loader.mjs. A relative `.js` specifier of a
// TypeScript module resolves to the `.ts` file beside it; a `.ts` module loads as its JavaScript under its
// own URL (import.meta.url and import.meta.dirname stay the source's) with an inline source map, so stack
// traces point into the `.ts` file. scripts/run-tests.mjs transpiles every file once per run into the folder
// ACC_TS_CACHE names (`transpileTree`); a file not found there is transpiled when it loads.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(import.meta.dirname, "..");
const CACHE = process.env.ACC_TS_CACHE;

/** A `file:` URL's path when it names a TypeScript module (a query or hash, as in `x.ts?copy`, left aside). */
const typeScriptPath = (url) => (url?.startsWith("file:") && /\.ts(?:[?#]|$)/.test(url) ? fileURLToPath(url) : undefined);

export async function resolve(specifier, context, next) {
  if (typeScriptPath(context.parentURL) && specifier.startsWith(".") && specifier.endsWith(".js")) {
    const source = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(source)) return { url: source.href, format: "module", shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  const path = typeScriptPath(url);
  if (!path) return next(url, context);
  const cached = CACHE && cachePath(CACHE, path);
  const source = cached && existsSync(cached) ? await readFile(cached, "utf8") : await transpile(path, await readFile(path, "utf8"));
  return { format: "module", source, shortCircuit: true };
}

/** Where the cache folder `cache` keeps the JavaScript of the checkout's source file `path` (none for a file outside it). */
function cachePath(cache, path) {
  const inside = relative(ROOT, path);
  return inside.startsWith("..") ? undefined : join(cache, `${inside}.js`);
}

/** The JavaScript of the TypeScript module `path` whose text is `text`, compiled with the project's compiler options. */
async function transpile(path, text) {
  // esbuild (and its service process) only when a file is transpiled
  const { transform } = await import("esbuild");
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8"));
  const options = { loader: "ts", format: "esm", platform: "node", target: "node20", sourcemap: "inline", sourcefile: basename(path), tsconfigRaw: { compilerOptions } };
  return (await transform(text, options)).code;
}

/** Transpiles every `.ts` file under the checkout's `folders` into `cache`, for ACC_TS_CACHE. */
export async function transpileTree(cache, folders) {
  const paths = folders.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true })
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
      .map((name) => join(ROOT, folder, name)),
  );
  for (const dir of new Set(paths.map((path) => dirname(cachePath(cache, path))))) mkdirSync(dir, { recursive: true });
  await Promise.all(paths.map(async (path) => writeFile(cachePath(cache, path), await transpile(path, await readFile(path, "utf8")))));
}
