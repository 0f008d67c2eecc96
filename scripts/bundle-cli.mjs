// Run by `npm run build` after tsc and build-validators: bundles the CLI (src/cli/main.ts and everything it
// imports, the pure-JavaScript dependencies included) with esbuild into dist/cli/main.js and its chunks, one
// chunk per command loaded only when that command runs. Node then reads a few large files instead of
// hundreds of small ones: every `acc` process starts with less CPU (the docs test and the queue tests spawn
// hundreds). The library (dist/index.js, ./testing) stays tsc's per-file output. Also called by
// test/helpers/built-cli.ts for the packages tests build with esbuild.
import { chmodSync, readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const SRC = join(import.meta.dirname, "../src");

/**
 * Dependencies left to node_modules: the ones that find files beside their own (a native addon, WebAssembly,
 * their package.json, a child script), which a bundle would move away from them.
 */
const EXTERNAL = ["better-sqlite3", "tiktoken", "@guanmingchiu/sqlparser-ts", "bullmq", "ioredis"];

/**
 * A module that finds files beside itself (workers, assets, validators.cjs) through `import.meta.url` finds
 * them beside its per-file copy in dist/, which tsc wrote: in the bundle, `import.meta.url` is that copy's URL.
 */
function ownUrl(outdir, dist) {
  return {
    name: "own-url",
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        const text = await readFile(path, "utf8");
        if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
        const own = relative(outdir, join(dist, relative(SRC, path)).replace(/\.ts$/, ".js"));
        return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(own)}, import.meta.url).href`), loader: "ts" };
      });
    },
  };
}

/** Bundles the CLI into `dist` (a built dist/ folder: the per-file modules the bundle's workers and assets are found beside). */
export async function bundleCli(dist) {
  const outdir = join(dist, "cli");
  for (const name of readdirSync(outdir).filter((name) => /^chunk-\w+\.js$/.test(name))) rmSync(join(outdir, name));
  rmSync(join(outdir, "main.js.map"), { force: true });
  await build({
    entryPoints: [join(SRC, "cli/main.ts")],
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: "chunk-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    plugins: [ownUrl(outdir, dist)],
    // the CommonJS dependencies bundled call require() for Node's own modules
    banner: { js: 'import { createRequire as __accCreateRequire } from "node:module"; const require = __accCreateRequire(import.meta.url);' },
    logLevel: "error",
  });
  // the package's bin: esbuild keeps the mode of the file tsc wrote there (0644), and npx and npm's bin links exec it
  chmodSync(join(outdir, "main.js"), 0o755);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await bundleCli(join(import.meta.dirname, "../dist"));
