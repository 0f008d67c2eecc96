import { join } from "node:path";
// @ts-expect-error: a plain ESM script of the build, without types
import { buildPackage } from "../../scripts/build-package.mjs";
import { tempDir } from "./collect.js";

/** Where scripts/run-tests.mjs put the package it built for this run. */
const SHARED = process.env.ACC_TEST_PACKAGE;

let built: Promise<string> | undefined;

/**
 * The package as `npm run build` would make it from the current src/ (dist/ with the bundled CLI, assets/,
 * package.json, bin/acc; scripts/build-package.mjs), read-only: the one scripts/run-tests.mjs built once for
 * the whole run, or, when a test file runs alone, one built now for this process and removed when it exits.
 * Never the checkout's dist/, which may be stale.
 */
export function builtPackage(): Promise<string> {
  built ??= SHARED ? Promise.resolve(SHARED) : buildOwn();
  return built;
}

async function buildOwn(): Promise<string> {
  // tempDir's folders are removed when the process exits
  const dir = tempDir("acc-test-package-");
  await buildPackage(dir);
  return dir;
}

/** The built CLI: `bin` holds an `acc` script to put first on PATH; `main` is the script to run with `node`. */
export async function builtCli(): Promise<{ bin: string; main: string }> {
  const dir = await builtPackage();
  return { bin: join(dir, "bin"), main: join(dir, "dist/cli/main.js") };
}
