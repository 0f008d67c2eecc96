import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { tempDir } from "./collect.js";

export const EXAMPLE_LOGS = resolve(join(import.meta.dirname, "../../examples/logs"));

/** Builds the examples' database and repository in a fresh folder (setup.mjs, as a user would). */
export function buildExamples(): { db: string; repo: string } {
  const dir = tempDir("acc-examples-");
  execFileSync(process.execPath, [join(import.meta.dirname, "../../examples/setup.mjs"), dir], { stdio: "ignore" });
  return { db: join(dir, "bookshop.sqlite"), repo: join(dir, "repo") };
}
