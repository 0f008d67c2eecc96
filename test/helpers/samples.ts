import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The shared real trajectory samples; tests that need them skip with this message when absent. */
export const SAMPLES_DIR = resolve(process.env.ACC_SAMPLES_DIR ?? join(import.meta.dirname, "../../../shared/trajectory-samples"));
export const SAMPLES_MISSING = existsSync(SAMPLES_DIR)
  ? false
  : `trajectory samples not found at ${SAMPLES_DIR} (set ACC_SAMPLES_DIR); conformance test skipped`;

export function sample(relative: string): string {
  return join(SAMPLES_DIR, relative);
}
