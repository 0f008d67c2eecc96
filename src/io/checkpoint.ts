import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { writeFileAtomic } from "./atomic.js";
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

/** The saved state when it exists, parses and has this fingerprint; otherwise undefined. */
export async function readCheckpoint<T extends { fingerprint: string }>(path: string, expected: string): Promise<T | undefined> {
  try {
    const state = JSON.parse(await readFile(path, "utf8")) as T;
    return state.fingerprint === expected ? state : undefined;
  } catch {
    return undefined;
  }
}

export async function writeCheckpoint(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
}
