import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { z } from "zod";
import { writeFileAtomic } from "./atomic.js";
import { readJsonFile } from "./json-file.js";
import { statInput } from "./stdin.js";

/**
 * The checkpoint of a resumable stage: a small JSON file written atomically after each unit of
 * work, tagged with a fingerprint of the inputs and options so a changed run starts over.
 */
export function keyHash(key: unknown): string {
  return createHash("sha256").update(JSON.stringify(key)).digest("hex");
}

/** An input file as a fingerprint names it: its absolute path, size and modification time. */
export async function fileIdentity(path: string): Promise<[string, number, number]> {
  const info = await statInput(path);
  return [resolve(path), info.size, info.mtimeMs];
}

/**
 * The saved state when it exists, fits `schema` and has this fingerprint; otherwise undefined, and the run
 * starts afresh (a checkpoint is written atomically, so one that does not fit was not written by this run).
 */
export async function readCheckpoint<T extends { fingerprint: string }>(path: string, expected: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const read = await readJsonFile(path, schema);
  return read.ok && read.value.fingerprint === expected ? read.value : undefined;
}

export async function writeCheckpoint(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
}
